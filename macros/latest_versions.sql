{#- Raw tables are merged by primary key on load, so this normally drops nothing; it keeps
    staging one row per key if a loader ever appends instead of merging. Ties on the version
    column go to the latest load, then to the row hash so the pick is the same on every run.
    row_number() in a subquery rather than QUALIFY, which PostgreSQL lacks. -#}
{% macro latest_versions(from_relation, primary_key, version_column) -%}
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
