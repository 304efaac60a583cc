using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class FeedbackIdsPerKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_feedback_events_api_key_id",
                table: "feedback_events");

            migrationBuilder.DropIndex(
                name: "ix_feedback_events_event_id",
                table: "feedback_events");

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_api_key_id_event_id",
                table: "feedback_events",
                columns: new[] { "api_key_id", "event_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_feedback_events_api_key_id_event_id",
                table: "feedback_events");

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_api_key_id",
                table: "feedback_events",
                column: "api_key_id");

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_event_id",
                table: "feedback_events",
                column: "event_id",
                unique: true);
        }
    }
}
