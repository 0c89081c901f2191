using Microsoft.EntityFrameworkCore.Migrations;
using Shop.Data.Catalog;

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

            migrationBuilder.Sql(SearchFolding.CreateFunctionSql);

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

            migrationBuilder.Sql($"DROP FUNCTION {SearchFolding.Function}(text);");

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
