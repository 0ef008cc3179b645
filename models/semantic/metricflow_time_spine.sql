{#- MetricFlow's day time spine (dbt 1.11 `time_spine:` config in _semantic__models.yml).
    2015-2035 covers every date the demo generator and the CRM exports produce with room on
    both sides; 7,305 rows cost nothing to build. dbt.date_spine keeps it portable to
    PostgreSQL and Spark. -#}
{{ config(materialized='table') }}

with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2015-01-01' as date)",
        end_date="cast('2035-01-01' as date)"
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
