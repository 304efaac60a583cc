using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <summary>
    /// Outcome counts per (run, task), so the leaderboard reads a few rows per run instead of grouping all result rows.
    /// The database keeps them: a trigger on <c>runs.status</c> recounts a run's results whenever it reaches an end
    /// (succeeded, failed, cancelled: the job, a cancel, the janitor, a re-scoring's run finishing) and drops them when it
    /// leaves one (a retry), so every writer of a status, present or future, keeps them right.
    /// <c>runs.task_counts_stored</c> says the counts are there: a run written as finished without passing through a
    /// status change (tests, the perf seeder, imports of old data) keeps false and is counted from its results.
    /// Existing finished runs are counted here. The table is not mapped in the EF model: only SQL reads it.
    /// </summary>
    [DbContext(typeof(EvalsDbContext))]
    [Migration("20261202203000_RunTaskCounts")]
    public partial class RunTaskCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                create table run_task_counts (
                    run_id uuid not null references runs(id) on delete cascade,
                    task_id uuid not null,
                    correct integer not null,
                    wrong integer not null,
                    unparseable integer not null,
                    refused integer not null,
                    error integer not null,
                    chance double precision not null,
                    constraint pk_run_task_counts primary key (run_id, task_id));

                alter table runs add column task_counts_stored boolean not null default false;

                -- The chance level is what the leaderboard's roll-up needs: the mean of details.chance over asked (non-error) items.
                create function store_run_task_counts(run uuid) returns void language sql as $$
                    delete from run_task_counts where run_id = run;
                    insert into run_task_counts (run_id, task_id, correct, wrong, unparseable, refused, error, chance)
                    select run_id, task_id,
                           count(*) filter (where outcome = 'correct')::int,
                           count(*) filter (where outcome = 'wrong')::int,
                           count(*) filter (where outcome = 'unparseable')::int,
                           count(*) filter (where outcome = 'refused')::int,
                           count(*) filter (where outcome = 'error')::int,
                           coalesce(avg((details->>'chance')::double precision) filter (where outcome <> 'error'), 0)
                    from results where run_id = run
                    group by run_id, task_id;
                $$;

                create function runs_status_task_counts() returns trigger language plpgsql as $$
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

                create trigger runs_status_task_counts before update of status on runs
                    for each row when (old.status is distinct from new.status) execute function runs_status_task_counts();

                select store_run_task_counts(id) from runs where status in ('succeeded', 'failed', 'cancelled');
                update runs set task_counts_stored = true where status in ('succeeded', 'failed', 'cancelled');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                drop trigger runs_status_task_counts on runs;
                drop function runs_status_task_counts();
                drop function store_run_task_counts(uuid);
                alter table runs drop column task_counts_stored;
                drop table run_task_counts;
                """);
        }
    }
}
