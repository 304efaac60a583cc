using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <summary>
    /// A finished run's leaderboard row as stored figures (<c>run_scores.scores</c>: every task cell with its interval,
    /// whatever its metric — F1, EM, ROUGE, BLEU, judged scores — the overall with its bootstrap interval, capabilities,
    /// categories), so the leaderboard reads one row per run and neither result rows nor a bootstrap. The runner writes
    /// it when a run succeeds, and the leaderboard for any run that has none. Keyed by the reference run the overall was
    /// normalised against (the nil uuid: chance) and a <c>basis</c> (a hash of the capability tree and the suite's
    /// overall_of) that the reader compares, so a changed tree is recomputed, not served stale. The status trigger of
    /// RunTaskCounts now also drops a run's rows (and rows normalised against it) whenever its status changes: a retry,
    /// a cancel or a janitor's failure can change its results.
    /// </summary>
    [DbContext(typeof(EvalsDbContext))]
    [Migration("20261203021500_RunScores")]
    public partial class RunScores : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                create table run_scores (
                    run_id uuid not null references runs(id) on delete cascade,
                    reference_run_id uuid not null,
                    basis text not null,
                    scores jsonb not null,
                    constraint pk_run_scores primary key (run_id, reference_run_id));

                create index ix_run_scores_reference_run_id on run_scores (reference_run_id);

                create or replace function runs_status_task_counts() returns trigger language plpgsql as $$
                begin
                    delete from run_scores where run_id = new.id or reference_run_id = new.id;
                    if new.status in ('succeeded', 'failed', 'cancelled') then
                        perform store_run_task_counts(new.id);
                        new.task_counts_stored := true;
                    else
                        delete from run_task_counts where run_id = new.id;
                        new.task_counts_stored := false;
                    end if;
                    return new;
                end $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                create or replace function runs_status_task_counts() returns trigger language plpgsql as $$
                begin
                    if new.status in ('succeeded', 'failed', 'cancelled') then
                        perform store_run_task_counts(new.id);
                        new.task_counts_stored := true;
                    else
                        delete from run_task_counts where run_id = new.id;
                        new.task_counts_stored := false;
                    end if;
                    return new;
                end $$;

                drop table run_scores;
                """);
        }
    }
}
