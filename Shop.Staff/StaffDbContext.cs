using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Shop.Data;

namespace Shop.Staff;

/// <summary>A staff member who may read the BI reports; admins may also add staff.</summary>
public sealed class StaffUser : IdentityUser;

public static class StaffRoles
{
    public const string Staff = "Staff";
    public const string Admin = "Admin";
    public const string AdminEmail = "admin@shop.local";
}

/// <summary>
/// Staff accounts, on the primary in their own schema with their own migrations: the shop's tables never depend on
/// them, and only the reporting app and the migrations resource know they exist.
/// </summary>
public sealed class StaffDbContext(DbContextOptions<StaffDbContext> options) : IdentityDbContext<StaffUser>(options)
{
    public const string Schema = "staff";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasDefaultSchema(Schema);
    }
}

public static class StaffExtensions
{
    /// <summary>
    /// The staff store on the primary (<c>shopdb</c>), the only thing reporting reads from the primary. No retries unless
    /// asked for (the migrations): a sign-in that failed says so at once instead of asking a struggling database again.
    /// </summary>
    public static void AddStaffDbContext(this IHostApplicationBuilder builder, bool retryTransientFailures = false) =>
        builder.AddNpgsqlDbContext<StaffDbContext>(ShopDataExtensions.PrimaryConnectionName,
            configureSettings: settings => settings.DisableRetry = !retryTransientFailures,
            configureDbContextOptions: options => UseStaffDatabase(options, null));

    public static DbContextOptionsBuilder UseStaffDatabase(DbContextOptionsBuilder options, string? connectionString)
    {
        var npgsql = connectionString is null
            ? options.UseNpgsql(o => o.MigrationsHistoryTable("__ef_migrations_history", StaffDbContext.Schema))
            : options.UseNpgsql(connectionString, o => o.MigrationsHistoryTable("__ef_migrations_history", StaffDbContext.Schema));
        return npgsql.UseSnakeCaseNamingConvention();
    }

    /// <summary>One password rule everywhere: long enough, nothing else demanded (NIST SP 800-63B).</summary>
    public static void ConfigurePasswords(IdentityOptions options)
    {
        options.Password.RequiredLength = 12;
        options.Password.RequireDigit = false;
        options.Password.RequireLowercase = false;
        options.Password.RequireUppercase = false;
        options.Password.RequireNonAlphanumeric = false;
        options.User.RequireUniqueEmail = true;
        // No lockout on wrong passwords (anyone could lock the real person out): Reporting's LoginLimit slows guessing
        // per account and address instead. Lockout stays on for new accounts: it is how an admin disables one.
        options.Lockout.AllowedForNewUsers = true;
    }

    /// <summary>Identity looks accounts up by <see cref="StaffNameNormalizer"/>'s spelling; call after AddIdentity/AddIdentityCore.</summary>
    public static IServiceCollection AddStaffNameNormalizer(this IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Scoped<ILookupNormalizer, StaffNameNormalizer>());
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running database.</summary>
internal sealed class DesignTimeStaffDbContextFactory : IDesignTimeDbContextFactory<StaffDbContext>
{
    public StaffDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<StaffDbContext>();
        StaffExtensions.UseStaffDatabase(options, "Host=localhost;Database=shopdb");
        return new StaffDbContext(options.Options);
    }
}
