using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Shop.AppHost.Edge;

/// <summary>
/// The edge terminates TLS so the services behind it never handle certificates. Locally that is a
/// self-signed certificate for localhost, made once and kept in the data folder.
/// </summary>
public static class EdgeCertificate
{
    public static void EnsureExists(string certificateFile, string keyFile)
    {
        if (File.Exists(certificateFile) && File.Exists(keyFile))
        {
            return;
        }

        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        Directory.CreateDirectory(Path.GetDirectoryName(certificateFile)!);
        // nginx's master reads the key before it drops privileges: no one else needs to, ever.
        Local.PrivateFiles.Write(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
    }
}
