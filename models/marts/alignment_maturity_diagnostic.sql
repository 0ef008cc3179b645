{#- The alignment diagnostic of DOMAIN.md, answered from the data where the data can answer:
    one row per question, with a yes / partial / no answer, the measured value, the line it
    is judged against and the evidence in words. Questions 1-5 are DOMAIN.md's five; 6-8 are
    its leading indicators put as questions. Parts no table can show (is the rejection list
    reviewed monthly, who owns the field definitions) are said so in the evidence, and the
    answer then rests on what the data shows of them.

    Each answer rule is written beside its question below; the only numbers are the warning
    lines of var leading_indicators. A share is printed as a whole percentage. -#}
{%- set indicators = var('leading_indicators') -%}
{%- set reporting_currency = var('reporting_currency') -%}
{%- set text = dbt.type_string() -%}

with

handoffs as (

    select * from {{ ref('fct_handoffs') }}

),

rejections as (

    select * from {{ ref('fct_rejections') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

crm_opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where not is_deleted

),

crm_leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not is_deleted

),

activities as (

    select * from {{ ref('stg_map__activities') }}

),

health as (

    select * from {{ ref('alignment_health') }}

),

segments as (

    select * from {{ ref('def_segments') }}

),

mql_criteria as (

    select * from {{ ref('def_mql_criteria') }}

),

currency_rates as (

    select * from {{ ref('def_currency_rates') }}

),

lead_statuses as (

    select * from {{ ref('def_lead_statuses') }}

),

lead_sources as (

    select * from {{ ref('def_lead_sources') }}

),

activity_types as (

    select * from {{ ref('def_activity_types') }}

),

---------- 1. Can a new SDR state the MQL definition?
-- yes: every segment has written criteria in force and every MQL met the criteria of its
-- time; partial: written, but some MQLs did not meet them (the definition in use is not the
-- written one); no: a segment has no written criteria in force.

-- Judged on the day of the latest MQL (today when there is none), so the answer describes
-- the data rather than the day the model ran.
latest_mql as (

    select cast(max(mql_at) as date) as judged_on from handoffs

),

criteria_in_force as (

    select
        segments.segment_code,
        count(mql_criteria.criteria_version) as versions_in_force,
        max(mql_criteria.min_score) as min_score,
        max(case when mql_criteria.requires_qualifying_action then 1 else 0 end)
            as requires_qualifying_action
    from segments
    cross join latest_mql
    left join mql_criteria
        on segments.segment_code = mql_criteria.segment_code
        and {{ in_force_on('mql_criteria', 'coalesce(latest_mql.judged_on, cast(' ~ dbt.current_timestamp() ~ ' as date))') }}
    group by segments.segment_code

),

mql_definition as (

    select
        sum(case when criteria_in_force.versions_in_force = 0 then 1 else 0 end)
            as segments_without_criteria,
        count(*) as segment_count
    from criteria_in_force

),

mql_compliance as (

    select
        count(*) as mql_count,
        coalesce(sum(case when is_mql_criteria_met then 1 else 0 end), 0) as criteria_met_count
    from handoffs

),

question_1 as (

    select
        1 as question_number,
        'mql_definition' as diagnostic_area,
        'Can a new SDR state the MQL definition?' as question,
        case
            when mql_definition.segments_without_criteria > 0 then 'no'
            when mql_compliance.criteria_met_count = mql_compliance.mql_count then 'yes'
            else 'partial'
        end as answer,
        cast(mql_compliance.criteria_met_count as {{ type_double() }})
            / nullif(mql_compliance.mql_count, 0) as metric_value,
        cast(1 as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            "'Written MQL criteria are in force for '",
            'cast(mql_definition.segment_count - mql_definition.segments_without_criteria as ' ~ text ~ ')',
            "' of '", 'cast(mql_definition.segment_count as ' ~ text ~ ')',
            "' segments; '", 'cast(mql_compliance.criteria_met_count as ' ~ text ~ ')',
            "' of '", 'cast(mql_compliance.mql_count as ' ~ text ~ ')',
            "' MQLs met the criteria in force when they qualified.'"
        ]) }} as evidence
    from mql_definition
    cross join mql_compliance

),

---------- 2. Are rejection reasons structured and reviewed monthly?
-- yes: every rejection has a code of the taxonomy; partial: the share without one is at or
-- below leading_indicators.unknown_rejection_reason_share; no: above it.

rejection_summary as (

    select
        count(*) as rejection_count,
        coalesce(sum(case when is_reason_valid then 1 else 0 end), 0) as valid_count,
        coalesce(sum(case when is_reason_missing then 1 else 0 end), 0) as missing_count
    from rejections

),

question_2 as (

    select
        2 as question_number,
        'rejection_reasons' as diagnostic_area,
        'Are rejection reasons structured and reviewed monthly?' as question,
        case
            when valid_count = rejection_count then 'yes'
            when cast(rejection_count - valid_count as {{ type_double() }}) / rejection_count
                <= {{ indicators['unknown_rejection_reason_share'] }} then 'partial'
            else 'no'
        end as answer,
        cast(valid_count as {{ type_double() }}) / nullif(rejection_count, 0) as metric_value,
        cast(1 - {{ indicators['unknown_rejection_reason_share'] }} as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            'cast(valid_count as ' ~ text ~ ')', "' of '", 'cast(rejection_count as ' ~ text ~ ')',
            "' rejections carry a valid reason code; '", 'cast(missing_count as ' ~ text ~ ')',
            "' have none and '", 'cast(rejection_count - valid_count - missing_count as ' ~ text ~ ')',
            "' one outside the taxonomy. Whether the list is reviewed monthly is not in the data.'"
        ]) }} as evidence
    from rejection_summary

),

---------- 3. Do CMO and CRO cite one pipeline number from one source?
-- yes: the pipeline mart holds every live CRM opportunity and its total equals the CRM's
-- converted by the written currency rule to half a cent; no: otherwise.

crm_converted as (

    select
        count(*) as opportunity_count,
        coalesce(sum(
            case
                when crm_opportunities.currency_code = '{{ reporting_currency }}'
                    then crm_opportunities.amount
                else crm_opportunities.amount
                    * cast(amount_rates.rate_to_usd as {{ type_double() }})
                    / cast(reporting_rates.rate_to_usd as {{ type_double() }})
            end
        ), 0) as pipeline_total
    from crm_opportunities
    left join currency_rates as amount_rates
        on crm_opportunities.currency_code = amount_rates.currency_iso_code
        and cast({{ dbt.date_trunc('month', 'crm_opportunities.created_at') }} as date) = amount_rates.rate_month
    left join currency_rates as reporting_rates
        on reporting_rates.currency_iso_code = '{{ reporting_currency }}'
        and cast({{ dbt.date_trunc('month', 'crm_opportunities.created_at') }} as date) = reporting_rates.rate_month

),

mart_pipeline as (

    select
        count(*) as opportunity_count,
        coalesce(sum(amount_reporting), 0) as pipeline_total,
        coalesce(sum(case when is_marketing_influenced then 1 else 0 end), 0) as influenced_count,
        coalesce(sum(case when sourced_by = 'marketing' then 1 else 0 end), 0) as marketing_sourced_count
    from opportunities

),

question_3 as (

    select
        3 as question_number,
        'one_pipeline_number' as diagnostic_area,
        'Do the CMO and the CRO cite one pipeline number from one source?' as question,
        case
            when mart_pipeline.opportunity_count = crm_converted.opportunity_count
                and abs(mart_pipeline.pipeline_total - crm_converted.pipeline_total) < 0.005
                then 'yes'
            else 'no'
        end as answer,
        abs(mart_pipeline.pipeline_total - crm_converted.pipeline_total) as metric_value,
        cast(0.005 as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            "'fct_opportunities holds '", 'cast(mart_pipeline.opportunity_count as ' ~ text ~ ')',
            "' opportunities worth '",
            'cast(cast(round(mart_pipeline.pipeline_total) as ' ~ dbt.type_bigint() ~ ') as ' ~ text ~ ')',
            "' " ~ reporting_currency ~ "; the CRM holds '", 'cast(crm_converted.opportunity_count as ' ~ text ~ ')',
            "' worth '",
            'cast(cast(round(crm_converted.pipeline_total) as ' ~ dbt.type_bigint() ~ ') as ' ~ text ~ ')',
            "' " ~ reporting_currency ~ ". Marketing-influenced ('", 'cast(mart_pipeline.influenced_count as ' ~ text ~ ')',
            "') and marketing-sourced ('", 'cast(mart_pipeline.marketing_sourced_count as ' ~ text ~ ')',
            "') are flags on the same rows, not separate numbers.'"
        ]) }} as evidence
    from mart_pipeline
    cross join crm_converted

),

---------- 4. Are there segment-specific MQL criteria for each go-to-market track?
-- yes: every segment has criteria in force and no two segments share the same thresholds;
-- partial: every segment has criteria but some are identical; no: a segment has none.

distinct_criteria as (

    select
        count(distinct {{ dbt.concat([
            'cast(min_score as ' ~ text ~ ')', "'|'",
            'cast(requires_qualifying_action as ' ~ text ~ ')'
        ]) }}) as distinct_criteria_count,
        {{ dbt.listagg(
            dbt.concat(['segment_code', "': min score '", 'cast(min_score as ' ~ text ~ ')']),
            "'; '",
            'order by segment_code'
        ) }} as criteria_list
    from criteria_in_force
    where versions_in_force > 0

),

question_4 as (

    select
        4 as question_number,
        'segment_criteria' as diagnostic_area,
        'Are there segment-specific MQL criteria for each go-to-market track?' as question,
        case
            when mql_definition.segments_without_criteria > 0 then 'no'
            when distinct_criteria.distinct_criteria_count = mql_definition.segment_count then 'yes'
            else 'partial'
        end as answer,
        cast(distinct_criteria.distinct_criteria_count as {{ type_double() }}) as metric_value,
        cast(mql_definition.segment_count as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            'cast(distinct_criteria.distinct_criteria_count as ' ~ text ~ ')',
            "' distinct sets of MQL criteria are in force for '",
            'cast(mql_definition.segment_count as ' ~ text ~ ')', "' segments ('",
            "coalesce(distinct_criteria.criteria_list, 'none')", "').'"
        ]) }} as evidence
    from mql_definition
    cross join distinct_criteria

),

---------- 5. Does RevOps own field definitions?
-- Ownership is not in the data; what is: whether the picklist values the systems hold are
-- the defined ones. yes: every lead status, lead source and activity type in use is in its
-- definitions seed; partial: some are not; no: more than half the records carry undefined
-- values.

picklist_values as (
    {%- set picklists = [
        ('crm_leads', 'lead_status', 'lead_statuses'),
        ('crm_leads', 'lead_source', 'lead_sources'),
        ('crm_opportunities', 'lead_source', 'lead_sources'),
        ('activities', 'activity_type', 'activity_types'),
    ] %}
    {%- for records, column, defined_values in picklists %}

    select
        case when {{ defined_values }}.{{ column }} is null then 1 else 0 end as is_undefined
    from {{ records }}
    left join {{ defined_values }}
        on {{ records }}.{{ column }} = {{ defined_values }}.{{ column }}
    where {{ records }}.{{ column }} is not null
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

picklist_summary as (

    select
        count(*) as value_count,
        coalesce(sum(is_undefined), 0) as undefined_count
    from picklist_values

),

question_5 as (

    select
        5 as question_number,
        'field_definitions' as diagnostic_area,
        'Does RevOps own field definitions?' as question,
        case
            when undefined_count = 0 then 'yes'
            when undefined_count * 2 <= value_count then 'partial'
            else 'no'
        end as answer,
        cast(value_count - undefined_count as {{ type_double() }}) / nullif(value_count, 0)
            as metric_value,
        cast(1 as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            'cast(value_count - undefined_count as ' ~ text ~ ')', "' of '",
            'cast(value_count as ' ~ text ~ ')',
            "' lead status, lead source and activity type values in the CRM and the marketing platform are defined in the definitions seeds. Who owns the definitions is not in the data.'"
        ]) }} as evidence
    from picklist_summary

),

---------- 6. Is every MQL worked within its SLA?
-- yes: the share of MQLs first touched within the SLA reaches
-- leading_indicators.sla_compliance_target; partial: below it but at least half; no: below half.

question_6 as (

    select
        6 as question_number,
        'handoff_sla' as diagnostic_area,
        'Are MQLs first touched within the handoff SLA?' as question,
        case
            when sla_share >= {{ indicators['sla_compliance_target'] }} then 'yes'
            when sla_share >= 0.5 then 'partial'
            else 'no'
        end as answer,
        sla_share as metric_value,
        cast({{ indicators['sla_compliance_target'] }} as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            'cast(within_sla_count as ' ~ text ~ ')', "' of '", 'cast(mql_count as ' ~ text ~ ')',
            "' MQLs were first touched within their SLA (target '",
            'cast(cast(round(' ~ indicators['sla_compliance_target'] ~ ' * 100) as ' ~ dbt.type_int() ~ ') as ' ~ text ~ ')',
            "'%).'"
        ]) }} as evidence
    from (
        select
            count(*) as mql_count,
            coalesce(sum(case when is_within_sla then 1 else 0 end), 0) as within_sla_count,
            cast(sum(case when is_within_sla then 1 else 0 end) as {{ type_double() }})
                / nullif(count(*), 0) as sla_share
        from handoffs
    ) as sla_summary

),

---------- 7. Does every lead reach a person?
-- yes: no week had more "where did that lead go?" cases than
-- leading_indicators.where_did_that_lead_go_per_week; partial: some weeks did; no: the
-- average week did.

question_7 as (

    select
        7 as question_number,
        'lost_leads' as diagnostic_area,
        'Does every MQL reach a person (no "where did that lead go?" weeks)?' as question,
        case
            when warning_weeks = 0 then 'yes'
            when average_per_week <= {{ indicators['where_did_that_lead_go_per_week'] }} then 'partial'
            else 'no'
        end as answer,
        average_per_week as metric_value,
        cast({{ indicators['where_did_that_lead_go_per_week'] }} as {{ type_double() }}) as threshold,
        {{ dbt.concat([
            'cast(lost_count as ' ~ text ~ ')',
            "' MQLs went nowhere (no owner, no touch, an inactive owner or lost between systems); '",
            'cast(warning_weeks as ' ~ text ~ ')', "' of '", 'cast(week_count as ' ~ text ~ ')',
            "' weeks with MQLs had more than '",
            "'" ~ indicators['where_did_that_lead_go_per_week'] ~ "'", "'.'"
        ]) }} as evidence
    from (
        select
            count(*) as week_count,
            coalesce(sum(where_did_that_lead_go_count), 0) as lost_count,
            coalesce(sum(case when is_where_did_that_lead_go_warning then 1 else 0 end), 0)
                as warning_weeks,
            cast(coalesce(sum(where_did_that_lead_go_count), 0) as {{ type_double() }})
                / nullif(count(*), 0) as average_per_week
        from health
        where period_grain = 'week'
            and mql_count > 0
    ) as weekly_summary

),

---------- 8. Is MQL-to-SAL acceptance healthy and stable?
-- yes: the latest quarter with MQLs and the one before are both above
-- leading_indicators.mql_to_sal_healthy_rate; partial: only the latest is; no: it is not.

latest_quarter as (

    select *
    from (
        select
            health.*,
            row_number() over (order by period_start desc) as recency_rank
        from health
        where period_grain = 'quarter'
            and mql_count > 0
    ) as ranked_quarters
    where recency_rank = 1

),

question_8 as (

    select
        8 as question_number,
        'mql_acceptance' as diagnostic_area,
        'Is MQL-to-SAL acceptance above the healthy rate for two quarters in a row?' as question,
        case
            when latest_quarter.is_mql_to_sal_healthy then 'yes'
            when latest_quarter.mql_to_sal_rate > {{ indicators['mql_to_sal_healthy_rate'] }} then 'partial'
            else 'no'
        end as answer,
        mql_to_sal_rate as metric_value,
        cast({{ indicators['mql_to_sal_healthy_rate'] }} as {{ type_double() }}) as threshold,
        coalesce(
            {{ dbt.concat([
                "'MQL-to-SAL acceptance was '",
                'cast(cast(round(latest_quarter.mql_to_sal_rate * 100) as ' ~ dbt.type_int() ~ ') as ' ~ text ~ ')',
                "'% in the quarter starting '", 'cast(latest_quarter.period_start as ' ~ text ~ ')',
                "' and '",
                "coalesce(" ~ dbt.concat([
                    'cast(cast(round(latest_quarter.previous_quarter_mql_to_sal_rate * 100) as ' ~ dbt.type_int() ~ ') as ' ~ text ~ ')',
                    "'%'"
                ]) ~ ", 'not measured')",
                "' the quarter before.'"
            ]) }},
            'No quarter has MQLs yet.'
        ) as evidence
    from (select 1 as anchor) as one_row
    left join latest_quarter
        on 1 = 1

),

answers as (

    select * from question_1
    union all
    select * from question_2
    union all
    select * from question_3
    union all
    select * from question_4
    union all
    select * from question_5
    union all
    select * from question_6
    union all
    select * from question_7
    union all
    select * from question_8

),

final as (

    select
        question_number,
        diagnostic_area,
        question,
        question_number <= 5 as is_domain_diagnostic_question,
        answer,
        metric_value,
        threshold,
        evidence
    from answers

)

select * from final
