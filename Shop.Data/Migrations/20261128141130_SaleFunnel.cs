using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shop.Data.Migrations
{
    /// <inheritdoc />
    public partial class SaleFunnel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sale_admissions",
                columns: table => new
                {
                    sale_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    position = table.Column<long>(type: "bigint", nullable: false),
                    joined_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    admitted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sale_admissions", x => new { x.sale_id, x.position });
                });

            migrationBuilder.CreateTable(
                name: "sale_queue_stats",
                columns: table => new
                {
                    sale_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    joined = table.Column<long>(type: "bigint", nullable: false),
                    waiting = table.Column<long>(type: "bigint", nullable: false),
                    admitted = table.Column<long>(type: "bigint", nullable: false),
                    active = table.Column<long>(type: "bigint", nullable: false),
                    abandoned = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sale_queue_stats", x => x.sale_id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sale_admissions");

            migrationBuilder.DropTable(
                name: "sale_queue_stats");
        }
    }
}
