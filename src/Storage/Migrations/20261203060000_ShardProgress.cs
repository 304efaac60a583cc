using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <summary>
    /// A shard's items stored so far (<c>completed_items</c>), for the run page's per-shard view: each committed batch
    /// adds the rows it inserted, and the shard's end sets it to its item count (every item then has a row). Not mapped
    /// in the EF model, like the rest of <c>run_shards</c>.
    /// </summary>
    [DbContext(typeof(EvalsDbContext))]
    [Migration("20261203060000_ShardProgress")]
    public partial class ShardProgress : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("alter table run_shards add column completed_items integer not null default 0;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("alter table run_shards drop column completed_items;");
        }
    }
}
