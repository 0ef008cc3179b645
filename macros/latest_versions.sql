{#- Raw tables are merged by primary key on load, so this normally drops nothing; it keeps
    staging one row per key if a loader ever appends instead of merging. Ties on the version
    column go to the latest load, then to the row hash so the pick is the same on every run.
    row_number() in a subquery rather than QUALIFY, which PostgreSQL lacks.

    On DuckDB, a full build ranks only the keys that have more than one row. Ranking every
    row made the window carry every column of millions of rows through its sort:
    stg_map__activities at 1M leads took 19.4 s, 9.7 s of it in that window, while finding
    the duplicated keys reads one column (DECISIONLOG, 2026-12-07). The source is then read
    three times, so the model declares it `not_materialized()`: materialised, the copy cost
    what the window did. An incremental run reads a few keys' rows and ranks them all. -#}
{% macro latest_versions(from_relation, primary_key, version_column) -%}
    {{ return(adapter.dispatch('latest_versions', 'revops')(from_relation, primary_key, version_column)) }}
{%- endmacro %}

{% macro default__latest_versions(from_relation, primary_key, version_column) -%}
    {{ versions_ranked(from_relation, primary_key, version_column) }}
{%- endmacro %}

{#- DuckDB only: PostgreSQL ran the `not in` of the split for over 8 minutes on 710,000 score
    changes at 100,000 leads (the window takes seconds there), and Spark was not measured. -#}
{% macro duckdb__latest_versions(from_relation, primary_key, version_column) -%}
    {%- if is_incremental() %}
    {{ versions_ranked(from_relation, primary_key, version_column) }}
    {%- else %}
    select *, 1 as version_rank
    from {{ from_relation }}
    where {{ primary_key }} is not null
        and {{ primary_key }} not in ({{ keys_with_versions(from_relation, primary_key) }})

    union all

    {{ versions_ranked(
        "(select * from " ~ from_relation ~ " where " ~ primary_key ~ " is null or "
            ~ primary_key ~ " in (" ~ keys_with_versions(from_relation, primary_key) ~ ")"
            ~ ") as rows_of_keys_with_versions",
        primary_key,
        version_column,
    ) }}
    {%- endif %}
{%- endmacro %}

{% macro keys_with_versions(from_relation, primary_key) -%}
    select {{ primary_key }}
    from {{ from_relation }}
    where {{ primary_key }} is not null
    group by {{ primary_key }}
    having count(*) > 1
{%- endmacro %}

{% macro versions_ranked(from_relation, primary_key, version_column) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ primary_key }}
                order by
                    {{ version_column }} desc nulls last,
                    _loaded_at desc nulls last,
                    _row_hash
            ) as version_rank
        from {{ from_relation }}
    ) as ranked_versions
    where version_rank = 1
{%- endmacro %}
