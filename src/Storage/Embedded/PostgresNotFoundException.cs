namespace Evals.Storage.Embedded;

public sealed class PostgresNotFoundException(string searched) : Exception(
    $"PostgreSQL server binaries (initdb, pg_ctl) were not found (looked in PATH and {searched}). Either " +
    "install PostgreSQL (Debian/Ubuntu: apt-get install postgresql), " +
    "or set ConnectionStrings__Evals to an existing database, " +
    "or start one with `docker compose up postgres` and point ConnectionStrings__Evals at it.");
