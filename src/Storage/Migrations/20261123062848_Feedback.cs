using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class Feedback : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "feedback_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    event_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    trace_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    experiment_id = table.Column<Guid>(type: "uuid", nullable: true),
                    variant = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    input = table.Column<string>(type: "text", nullable: false),
                    output = table.Column<string>(type: "text", nullable: false),
                    rating_scale = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                    rating = table.Column<short>(type: "smallint", nullable: false),
                    positive = table.Column<bool>(type: "boolean", nullable: false),
                    tags = table.Column<string[]>(type: "text[]", nullable: false),
                    comment = table.Column<string>(type: "text", nullable: true),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    api_key_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feedback_events", x => x.id);
                    table.CheckConstraint("ck_feedback_events_event_id", "btrim(event_id) <> ''");
                    table.CheckConstraint("ck_feedback_events_model", "btrim(model) <> ''");
                    table.CheckConstraint("ck_feedback_events_rating", "(rating_scale = 'thumbs' and rating in (0, 1) and positive = (rating = 1)) or (rating_scale = 'stars' and rating between 1 and 5 and positive = (rating >= 4))");
                    table.CheckConstraint("ck_feedback_events_variant", "(experiment_id is null) = (variant is null)");
                    table.ForeignKey(
                        name: "fk_feedback_events_api_keys_api_key_id",
                        column: x => x.api_key_id,
                        principalTable: "api_keys",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_feedback_events_experiments_experiment_id",
                        column: x => x.experiment_id,
                        principalTable: "experiments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "feedback_checks",
                columns: table => new
                {
                    feedback_id = table.Column<long>(type: "bigint", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: true),
                    details = table.Column<string>(type: "jsonb", nullable: true),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feedback_checks", x => new { x.feedback_id, x.kind });
                    table.CheckConstraint("ck_feedback_checks_kind", "kind in ('hallucination','refusal','language','length')");
                    table.CheckConstraint("ck_feedback_checks_outcome", "outcome in ('pass','flagged','error')");
                    table.ForeignKey(
                        name: "fk_feedback_checks_feedback_events_feedback_id",
                        column: x => x.feedback_id,
                        principalTable: "feedback_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "regression_items",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    suite = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    key = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    input = table.Column<string>(type: "text", nullable: false),
                    reference = table.Column<string>(type: "text", nullable: false),
                    feedback_id = table.Column<long>(type: "bigint", nullable: true),
                    added_by = table.Column<string>(type: "text", nullable: false),
                    added_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_regression_items", x => x.id);
                    table.CheckConstraint("ck_regression_items_input", "btrim(input) <> ''");
                    table.CheckConstraint("ck_regression_items_reference", "btrim(reference) <> ''");
                    table.CheckConstraint("ck_regression_items_suite", "suite ~ '^[a-z0-9][a-z0-9_-]*$'");
                    table.ForeignKey(
                        name: "fk_regression_items_feedback_events_feedback_id",
                        column: x => x.feedback_id,
                        principalTable: "feedback_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_api_key_id",
                table: "feedback_events",
                column: "api_key_id");

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_event_id",
                table: "feedback_events",
                column: "event_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_experiment_id_variant",
                table: "feedback_events",
                columns: new[] { "experiment_id", "variant" });

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_model_occurred_at",
                table: "feedback_events",
                columns: new[] { "model", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_feedback_events_occurred_at",
                table: "feedback_events",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "ix_regression_items_feedback_id",
                table: "regression_items",
                column: "feedback_id");

            migrationBuilder.CreateIndex(
                name: "ix_regression_items_suite_key",
                table: "regression_items",
                columns: new[] { "suite", "key" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "feedback_checks");

            migrationBuilder.DropTable(
                name: "regression_items");

            migrationBuilder.DropTable(
                name: "feedback_events");
        }
    }
}
