using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class PairwiseJudgeChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_judge_checks_judge_identity_prompt_version_checked_at",
                table: "judge_checks");

            migrationBuilder.AddColumn<string>(
                name: "mode",
                table: "judge_checks",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "hallucination");

            migrationBuilder.AddColumn<double>(
                name: "position_bias_rate",
                table: "judge_checks",
                type: "double precision",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_judge_checks_judge_identity_prompt_version_mode_checked_at",
                table: "judge_checks",
                columns: new[] { "judge_identity", "prompt_version", "mode", "checked_at" });

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks",
                sql: "mode in ('hallucination', 'pairwise')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_position_bias",
                table: "judge_checks",
                sql: "position_bias_rate is null or (position_bias_rate >= 0 and position_bias_rate <= 100)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_judge_checks_judge_identity_prompt_version_mode_checked_at",
                table: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_position_bias",
                table: "judge_checks");

            migrationBuilder.DropColumn(
                name: "mode",
                table: "judge_checks");

            migrationBuilder.DropColumn(
                name: "position_bias_rate",
                table: "judge_checks");

            migrationBuilder.CreateIndex(
                name: "ix_judge_checks_judge_identity_prompt_version_checked_at",
                table: "judge_checks",
                columns: new[] { "judge_identity", "prompt_version", "checked_at" });
        }
    }
}
