using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shop.Data.Migrations
{
    /// <inheritdoc />
    public partial class WaitingRoom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<short>(
                name: "admission_slot",
                table: "orders",
                type: "smallint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "admission_ticket",
                table: "orders",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sale_id",
                table: "orders",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "sales",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    starts_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ends_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    admissions_per_minute = table.Column<int>(type: "integer", nullable: false),
                    max_active_shoppers = table.Column<int>(type: "integer", nullable: false),
                    session_minutes = table.Column<int>(type: "integer", nullable: false),
                    orders_per_admission = table.Column<int>(type: "integer", nullable: false),
                    abandon_after_seconds = table.Column<int>(type: "integer", nullable: false),
                    queue_mode = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    when_redis_down = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    paused = table.Column<bool>(type: "boolean", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sales", x => x.id);
                    table.CheckConstraint("ck_sales_queue_mode", "queue_mode IN ('Fifo', 'PreQueueLottery')");
                    table.CheckConstraint("ck_sales_when_redis_down", "when_redis_down IN ('Closed', 'Open')");
                    table.CheckConstraint("ck_sales_window", "ends_at > starts_at");
                });

            migrationBuilder.CreateIndex(
                name: "ix_orders_accepted_created_at",
                table: "orders",
                column: "created_at",
                filter: "status = 'Accepted'");

            migrationBuilder.CreateIndex(
                name: "ix_orders_sale_id_admission_ticket_admission_slot",
                table: "orders",
                columns: new[] { "sale_id", "admission_ticket", "admission_slot" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sales_ends_at",
                table: "sales",
                column: "ends_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sales");

            migrationBuilder.DropIndex(
                name: "ix_orders_accepted_created_at",
                table: "orders");

            migrationBuilder.DropIndex(
                name: "ix_orders_sale_id_admission_ticket_admission_slot",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "admission_slot",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "admission_ticket",
                table: "orders");

            migrationBuilder.DropColumn(
                name: "sale_id",
                table: "orders");
        }
    }
}
