using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class HallucinationJudging : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_results_outcome",
                table: "results");

            migrationBuilder.CreateTable(
                name: "judge_checks",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    judge_identity = table.Column<string>(type: "text", nullable: false),
                    judge_name = table.Column<string>(type: "text", nullable: false),
                    prompt_version = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    labels_file = table.Column<string>(type: "text", nullable: false),
                    labels_sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    items = table.Column<int>(type: "integer", nullable: false),
                    unjudged = table.Column<int>(type: "integer", nullable: false),
                    kappa = table.Column<double>(type: "double precision", nullable: true),
                    agreement = table.Column<double>(type: "double precision", nullable: false),
                    min_kappa = table.Column<double>(type: "double precision", nullable: false),
                    passed = table.Column<bool>(type: "boolean", nullable: false),
                    checked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_judge_checks", x => x.id);
                    table.CheckConstraint("ck_judge_checks_counts", "items >= 0 and unjudged >= 0");
                    table.CheckConstraint("ck_judge_checks_kappa", "kappa is null or (kappa >= -1 and kappa <= 1)");
                    table.CheckConstraint("ck_judge_checks_passed", "not passed or (kappa is not null and kappa >= min_kappa)");
                });

            migrationBuilder.AddCheckConstraint(
                name: "ck_results_outcome",
                table: "results",
                sql: "outcome in ('correct','wrong','unparseable','refused','error','unjudged')");

            migrationBuilder.CreateIndex(
                name: "ix_judge_checks_judge_identity_prompt_version_checked_at",
                table: "judge_checks",
                columns: new[] { "judge_identity", "prompt_version", "checked_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_results_outcome",
                table: "results");

            migrationBuilder.AddCheckConstraint(
                name: "ck_results_outcome",
                table: "results",
                sql: "outcome in ('correct','wrong','unparseable','refused','error')");
        }
    }
}
