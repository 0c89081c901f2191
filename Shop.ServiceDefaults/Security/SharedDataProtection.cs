using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Shop.ServiceDefaults.Security;

/// <summary>The secret that encrypts the key ring at rest: the AppHost's parameter <c>dataprotection-key</c>.</summary>
public sealed class SharedKeyRingOptions
{
    public const string SectionName = "DataProtection";

    [Required, MinLength(32)]
    public string Key { get; set; } = "";
}

/// <summary>
/// One Data Protection key ring per service, kept in Redis (append-only persistence, so it survives restarts of the
/// service and of Redis) and shared by every instance of that service, so a cookie or antiforgery token issued by
/// one instance is accepted by another and after a restart. Each key is stored AES-GCM encrypted.
/// </summary>
public static class SharedDataProtection
{
    public static RedisKey KeyRingKey(string applicationName) => $"dataprotection:{applicationName}";

    /// <summary>Needs an <see cref="IConnectionMultiplexer"/> (the service's Aspire Redis client).</summary>
    public static void AddSharedDataProtection(this IHostApplicationBuilder builder, string applicationName)
    {
        builder.Services.AddOptions<SharedKeyRingOptions>().BindConfiguration(SharedKeyRingOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddDataProtection().SetApplicationName(applicationName);
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IConnectionMultiplexer, IOptions<SharedKeyRingOptions>>((options, redis, keyRing) =>
            {
                options.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), KeyRingKey(applicationName));
                options.XmlEncryptor = new AesGcmXmlEncryptor(keyRing.Value.Key);
            });
    }
}

/// <summary>Encrypts each key's XML with AES-256-GCM under a key derived from the shared secret.</summary>
public sealed class AesGcmXmlEncryptor(string secret) : IXmlEncryptor
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    internal const string ElementName = "aesGcmEncryptedKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedKey = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedKey.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(DeriveKey(secret), TagSize);
        aes.Encrypt(nonce, plaintext, sealedKey.AsSpan(NonceSize + TagSize), sealedKey.AsSpan(NonceSize, TagSize));
        return new EncryptedXmlInfo(new XElement(ElementName, Convert.ToBase64String(sealedKey)), typeof(AesGcmXmlDecryptor));
    }

    internal static XElement Decrypt(XElement encryptedElement, string secret)
    {
        var sealedKey = Convert.FromBase64String(encryptedElement.Value);
        var plaintext = new byte[sealedKey.Length - NonceSize - TagSize];
        using var aes = new AesGcm(DeriveKey(secret), TagSize);
        aes.Decrypt(sealedKey.AsSpan(0, NonceSize), sealedKey.AsSpan(NonceSize + TagSize), sealedKey.AsSpan(NonceSize, TagSize), plaintext);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }

    private static byte[] DeriveKey(string secret) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: "Shop data protection key ring"u8.ToArray());
}

/// <summary>Created by Data Protection from the type name stored next to each encrypted key.</summary>
public sealed class AesGcmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        AesGcmXmlEncryptor.Decrypt(encryptedElement, services.GetRequiredService<IOptions<SharedKeyRingOptions>>().Value.Key);
}
