{#- The read-only role BI tools log in with on PostgreSQL: it may read schema `marts` and
    nothing else. Run as the last on-run-end hook (dbt_project.yml), because a table dbt
    rebuilds is a new table without the old one's grants, and by `dbt run-operation
    grant_bi_reader`. Returns no SQL: it runs its statements itself and logs one line.

    Role name and password come from REVOPS_PG_BI_USER (default revops_bi) and
    REVOPS_PG_BI_PASSWORD. The password never appears in SQL text that dbt logs: it travels as
    a bound parameter (psycopg2 fills it in after dbt logged the statement) into a session
    setting, which the PL/pgSQL block reads and quotes with format('%L'); identifiers are
    quoted with format('%I'). The setting is cleared before the block ends.

    Creating the role, or setting its password, needs CREATEROLE: without it the macro warns
    and only grants what it can. Without a password and without the role (no BI role wanted)
    it only logs that it skipped.
    DuckDB and Spark have no roles to grant to: a no-op there. -#}
{% macro grant_bi_reader(marts_schema='marts') -%}
    {{ return(adapter.dispatch('grant_bi_reader', 'revops')(marts_schema)) }}
{%- endmacro %}

{% macro default__grant_bi_reader(marts_schema) -%}
{%- endmacro %}

{% macro postgres__grant_bi_reader(marts_schema) -%}
    {%- if execute -%}
        {%- set role = env_var('REVOPS_PG_BI_USER', 'revops_bi') -%}
        {%- set password = env_var('REVOPS_PG_BI_PASSWORD', '') -%}
        {#- auto_begin=False: hooks run outside dbt's transactions; the last statement commits. -#}
        {%- do adapter.add_query(
            "select set_config('revops.bi_reader', %s, false), "
            ~ "set_config('revops.bi_reader_password', %s, false), "
            ~ "set_config('revops.bi_reader_marts', %s, false)",
            auto_begin=False,
            bindings=[role, password, marts_schema],
        ) -%}
        {%- do adapter.add_query(grant_bi_reader_block(), auto_begin=False) -%}
        {%- do adapter.add_query("commit", auto_begin=False) -%}
        {%- set response, outcome = adapter.execute(
            "select current_setting('revops.bi_reader_outcome')", auto_begin=False, fetch=True
        ) -%}
        {%- do adapter.add_query("commit", auto_begin=False) -%}
        {%- set message = outcome.columns[0].values()[0] -%}
        {#- No password and no role: no BI role was asked for, which is not worth a warning. -#}
        {%- if message.startswith('skipped') and 'REVOPS_PG_BI_PASSWORD' not in message -%}
            {%- do exceptions.warn('grant_bi_reader: ' ~ message) -%}
        {%- else -%}
            {%- do log('grant_bi_reader: ' ~ message, info=True) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The PL/pgSQL block. Plain text, no Jinja values: everything variable arrives through the
    session settings above. -#}
{% macro grant_bi_reader_block() -%}
do $grant_bi_reader$
declare
    bi_role text := current_setting('revops.bi_reader');
    bi_password text := current_setting('revops.bi_reader_password');
    marts text := current_setting('revops.bi_reader_marts');
    can_create_roles boolean;
    other_schema text;
    closed_schemas text[] := '{}';
    note text := '';
    marts_tables integer := 0;
begin
    -- The password has been read: clear it, so later statements of this session cannot.
    perform set_config('revops.bi_reader_password', '', false);
    select rolcreaterole or rolsuper into can_create_roles
    from pg_roles
    where rolname = current_user;

    if not exists (select from pg_roles where rolname = bi_role) then
        if bi_password = '' then
            perform set_config('revops.bi_reader_outcome', format(
                'skipped: role %s does not exist and REVOPS_PG_BI_PASSWORD is not set',
                bi_role), false);
            return;
        elsif not can_create_roles then
            perform set_config('revops.bi_reader_outcome', format(
                'skipped: role %s does not exist and %s may not create roles (needs CREATEROLE)',
                bi_role, current_user), false);
            return;
        end if;
        execute format(
            'create role %I login nosuperuser nocreatedb nocreaterole noinherit password %L',
            bi_role, bi_password);
        note := 'created; ';
    elsif bi_password <> '' then
        begin
            execute format('alter role %I login password %L', bi_role, bi_password);
            note := 'password set; ';
        exception when insufficient_privilege then
            note := format('password unchanged (%s may not alter roles); ', current_user);
        end;
    end if;

    -- Every other schema this user owns (raw, raw_staging, staging, intermediate,
    -- definitions, test audit): nothing for PUBLIC, nothing for the BI role.
    for other_schema in
        select nspname
        from pg_namespace
        where nspowner = (select oid from pg_roles where rolname = current_user)
            and nspname <> marts
            and nspname not like 'pg\_%'
            and nspname <> 'information_schema'
        order by nspname
    loop
        execute format('revoke all on schema %I from public, %I', other_schema, bi_role);
        execute format('revoke all on all tables in schema %I from public, %I',
            other_schema, bi_role);
        closed_schemas := closed_schemas || other_schema;
    end loop;

    execute format('grant connect on database %I to %I', current_database(), bi_role);
    if exists (select from pg_namespace where nspname = marts) then
        execute format('revoke all on schema %I from public, %I', marts, bi_role);
        execute format('grant usage on schema %I to %I', marts, bi_role);
        execute format('revoke all on all tables in schema %I from public, %I', marts, bi_role);
        execute format('grant select on all tables in schema %I to %I', marts, bi_role);
        -- Tables this user creates in marts between two runs are readable at once, too.
        execute format('alter default privileges in schema %I grant select on tables to %I',
            marts, bi_role);
        select count(*) into marts_tables
        from information_schema.tables
        where table_schema = marts;
    else
        note := note || format('schema %s does not exist yet; ', marts);
    end if;

    perform set_config('revops.bi_reader_outcome', format(
        'role %s %sselect on %s relation(s) of schema %s; no access to %s',
        bi_role, note, marts_tables, marts, array_to_string(closed_schemas, ', ')), false);
end
$grant_bi_reader$
{%- endmacro %}
