using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shop.Data.Migrations
{
    /// <inheritdoc />
    public partial class CatalogSearchFolding : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_products_name",
                table: "products");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,")
                .Annotation("Npgsql:PostgresExtension:unaccent", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            // unaccent() is only STABLE (its dictionary could be swapped), so the generated column and its index need an
            // IMMUTABLE wrapper that names the dictionary itself, the documented way to index unaccented text. NFKC first
            // (full-width letters and ligatures become plain ones), then unaccent, ICU lower case (every script, where the
            // database's C locale folds only ASCII), and the final sigma as σ (Unicode case folding).
            migrationBuilder.Sql("""
                CREATE FUNCTION shop_search_fold(text) RETURNS text
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                RETURN translate(lower(public.unaccent('public.unaccent'::regdictionary, normalize($1, NFKC)) COLLATE "und-x-icu"), 'ς', 'σ');
                """);

            migrationBuilder.AddColumn<string>(
                name: "search_name",
                table: "products",
                type: "text",
                nullable: false,
                computedColumnSql: "shop_search_fold(name)",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_products_search_name",
                table: "products",
                column: "search_name")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_products_search_name",
                table: "products");

            migrationBuilder.DropColumn(
                name: "search_name",
                table: "products");

            migrationBuilder.Sql("DROP FUNCTION shop_search_fold(text);");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,")
                .OldAnnotation("Npgsql:PostgresExtension:unaccent", ",,");

            migrationBuilder.CreateIndex(
                name: "ix_products_name",
                table: "products",
                column: "name")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });
        }
    }
}
