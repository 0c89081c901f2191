using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shop.Data.Migrations
{
    /// <inheritdoc />
    public partial class OrderLineSnapshots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "product_name",
                table: "order_lines",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "product_sku",
                table: "order_lines",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            // Lines written before this migration get the product as it is now: the closest record there is.
            migrationBuilder.Sql("""
                UPDATE order_lines l SET product_name = p.name, product_sku = p.sku FROM products p WHERE p.id = l.product_id;
                ALTER TABLE order_lines ALTER COLUMN product_name DROP DEFAULT, ALTER COLUMN product_sku DROP DEFAULT;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "product_name",
                table: "order_lines");

            migrationBuilder.DropColumn(
                name: "product_sku",
                table: "order_lines");
        }
    }
}
