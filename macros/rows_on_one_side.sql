{#- The rows (of `columns`) found on one side only: in `left` and not in `right`, or the
    reverse; the symmetric difference of the two as sets, nulls matching nulls as in EXCEPT.
    One grouping of both sides instead of two EXCEPTs, each a hash join of one side against
    the other: the first-activity copy of int_lifecycle_events_unioned (1.2M rows at 1M
    leads) compared in 0.9 s instead of 1.3 s. `left` and `right`: relations, CTE names or
    parenthesised selects with an alias. -#}
{% macro rows_on_one_side(left, right, columns) -%}
    {%- set listed = columns | join(', ') -%}
    select {{ listed }}
    from (
        select {{ listed }}, 1 as side from {{ left }}
        union all
        select {{ listed }}, 2 as side from {{ right }}
    ) as both_sides
    group by {{ listed }}
    having min(side) = max(side)
{%- endmacro %}
