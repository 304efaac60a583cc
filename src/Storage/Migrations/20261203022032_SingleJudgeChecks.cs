using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class SingleJudgeChecks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_passed",
                table: "judge_checks");

            migrationBuilder.AddColumn<double>(
                name: "kendall_tau_b",
                table: "judge_checks",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "spearman",
                table: "judge_checks",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks",
                sql: "mode in ('hallucination', 'pairwise', 'single')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_passed",
                table: "judge_checks",
                sql: "not passed or (case when mode = 'single' then spearman is not null and spearman >= min_kappa else kappa is not null and kappa >= min_kappa end)");

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_rank_correlations",
                table: "judge_checks",
                sql: "(spearman is null or (spearman >= -1 and spearman <= 1)) and (kendall_tau_b is null or (kendall_tau_b >= -1 and kendall_tau_b <= 1))");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_passed",
                table: "judge_checks");

            migrationBuilder.DropCheckConstraint(
                name: "ck_judge_checks_rank_correlations",
                table: "judge_checks");

            migrationBuilder.DropColumn(
                name: "kendall_tau_b",
                table: "judge_checks");

            migrationBuilder.DropColumn(
                name: "spearman",
                table: "judge_checks");

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_mode",
                table: "judge_checks",
                sql: "mode in ('hallucination', 'pairwise')");

            migrationBuilder.AddCheckConstraint(
                name: "ck_judge_checks_passed",
                table: "judge_checks",
                sql: "not passed or (kappa is not null and kappa >= min_kappa)");
        }
    }
}
