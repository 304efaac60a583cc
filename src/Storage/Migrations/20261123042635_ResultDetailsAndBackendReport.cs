using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ResultDetailsAndBackendReport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_results_tasks_task_id",
                table: "results");

            migrationBuilder.AddColumn<string>(
                name: "backend_report",
                table: "runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "details",
                table: "results",
                type: "jsonb",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "backend_report",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "details",
                table: "results");

            migrationBuilder.AddForeignKey(
                name: "fk_results_tasks_task_id",
                table: "results",
                column: "task_id",
                principalTable: "tasks",
                principalColumn: "id",
                onDelete: ReferentialAction.Restrict);
        }
    }
}
