{#-
    The days `revops backfill --from --to` reprocesses: vars backfill_from and backfill_to
    (ISO dates, both included). backfill_window() returns the pair, or none outside a
    backfill; in_backfill_window(column) returns a condition true when the column's UTC date
    lies in the window (a timestamp from the first day's midnight to before the midnight after
    the last day). Errors name the var and the value.
-#}
{% macro backfill_window() -%}
    {%- set window_from = var('backfill_from', none) -%}
    {%- set window_to = var('backfill_to', none) -%}
    {%- if window_from is none and window_to is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if window_from is none or window_to is none -%}
        {{ exceptions.raise_compiler_error(
            "backfill needs both vars backfill_from and backfill_to, got from=" ~ window_from
            ~ " to=" ~ window_to) }}
    {%- endif -%}
    {%- for name, value in [('backfill_from', window_from), ('backfill_to', window_to)] -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
            {{ exceptions.raise_compiler_error(
                "var " ~ name ~ " must be a date YYYY-MM-DD, got '" ~ value ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- if (window_from | string) > (window_to | string) -%}
        {{ exceptions.raise_compiler_error(
            "backfill_from " ~ window_from ~ " is after backfill_to " ~ window_to) }}
    {%- endif -%}
    {{ return([window_from | string, window_to | string]) }}
{%- endmacro %}

{% macro in_backfill_window(column) -%}
    {%- set window = backfill_window() -%}
    ({{ column }} >= cast('{{ window[0] }}' as {{ dbt.type_timestamp() }})
        and {{ column }} < {{ dbt.dateadd('day', 1, "cast('" ~ window[1] ~ "' as " ~ dbt.type_timestamp() ~ ")") }})
{%- endmacro %}
