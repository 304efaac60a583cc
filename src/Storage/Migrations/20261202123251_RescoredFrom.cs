using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class RescoredFrom : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "rescored_from",
                table: "runs",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_rescored_from",
                table: "runs",
                column: "rescored_from");

            migrationBuilder.AddForeignKey(
                name: "fk_runs_runs_rescored_from",
                table: "runs",
                column: "rescored_from",
                principalTable: "runs",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_runs_runs_rescored_from",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "ix_runs_rescored_from",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "rescored_from",
                table: "runs");
        }
    }
}
