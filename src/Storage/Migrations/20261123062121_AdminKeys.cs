using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Evals.Storage.Migrations
{
    /// <inheritdoc />
    public partial class AdminKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_api_keys_scope",
                table: "api_keys");

            migrationBuilder.AddCheckConstraint(
                name: "ck_api_keys_scope",
                table: "api_keys",
                sql: "scope in ('v1','feedback','admin')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "ck_api_keys_scope",
                table: "api_keys");

            migrationBuilder.AddCheckConstraint(
                name: "ck_api_keys_scope",
                table: "api_keys",
                sql: "scope in ('v1','feedback')");
        }
    }
}
