using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class OtlpTraces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_feedback_events_rating",
                table: "feedback_events");

            migrationBuilder.AlterColumn<string>(
                name: "rating_scale",
                table: "feedback_events",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(8)",
                oldMaxLength: 8);

            migrationBuilder.AlterColumn<short>(
                name: "rating",
                table: "feedback_events",
                type: "smallint",
                nullable: true,
                oldClrType: typeof(short),
                oldType: "smallint");

            migrationBuilder.AlterColumn<bool>(
                name: "positive",
                table: "feedback_events",
                type: "boolean",
                nullable: true,
                oldClrType: typeof(bool),
                oldType: "boolean");

            migrationBuilder.AddColumn<int>(
                name: "input_tokens",
                table: "feedback_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "latency_ms",
                table: "feedback_events",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "output_tokens",
                table: "feedback_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "session_id",
                table: "feedback_events",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "user_id",
                table: "feedback_events",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_api_key_id_trace_id",
                table: "feedback_events",
                columns: new[] { "api_key_id", "trace_id" });

            migrationBuilder.AddCheckConstraint(
                name: "ck_feedback_events_rating",
                table: "feedback_events",
                sql: "(rating_scale = 'thumbs' and rating in (0, 1) and positive = (rating = 1)) or (rating_scale = 'stars' and rating between 1 and 5 and positive = (rating >= 4)) or (rating_scale is null and rating is null and positive is null)");

            migrationBuilder.AddCheckConstraint(
                name: "ck_feedback_events_usage",
                table: "feedback_events",
                sql: "(input_tokens is null or input_tokens >= 0) and (output_tokens is null or output_tokens >= 0) and (latency_ms is null or latency_ms >= 0)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_feedback_events_api_key_id_trace_id",
                table: "feedback_events");

            migrationBuilder.DropCheckConstraint(
                name: "ck_feedback_events_rating",
                table: "feedback_events");

            migrationBuilder.DropCheckConstraint(
                name: "ck_feedback_events_usage",
                table: "feedback_events");

            migrationBuilder.DropColumn(
                name: "input_tokens",
                table: "feedback_events");

            migrationBuilder.DropColumn(
                name: "latency_ms",
                table: "feedback_events");

            migrationBuilder.DropColumn(
                name: "output_tokens",
                table: "feedback_events");

            migrationBuilder.DropColumn(
                name: "session_id",
                table: "feedback_events");

            migrationBuilder.DropColumn(
                name: "user_id",
                table: "feedback_events");

            migrationBuilder.AlterColumn<string>(
                name: "rating_scale",
                table: "feedback_events",
                type: "character varying(8)",
                maxLength: 8,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(8)",
                oldMaxLength: 8,
                oldNullable: true);

            migrationBuilder.AlterColumn<short>(
                name: "rating",
                table: "feedback_events",
                type: "smallint",
                nullable: false,
                defaultValue: (short)0,
                oldClrType: typeof(short),
                oldType: "smallint",
                oldNullable: true);

            migrationBuilder.AlterColumn<bool>(
                name: "positive",
                table: "feedback_events",
                type: "boolean",
                nullable: false,
                defaultValue: false,
                oldClrType: typeof(bool),
                oldType: "boolean",
                oldNullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_feedback_events_rating",
                table: "feedback_events",
                sql: "(rating_scale = 'thumbs' and rating in (0, 1) and positive = (rating = 1)) or (rating_scale = 'stars' and rating between 1 and 5 and positive = (rating >= 4))");
        }
    }
}
