{#- SDR-to-SDR consistency: one SDR accepting 70% and another 30% of similar MQLs is a
    definition problem, not a people problem (DOMAIN.md). Similar means comparable MQLs: the
    same segment (the handoff's), the same quarter (of mql_at), and the written MQL criteria in
    force were met (is_mql_criteria_met), so quality differences are out of the comparison.

    acceptance_rate = accepted / (accepted + rejected): the SDR's decisions only. Recycled
    (attempts ran out) and open MQLs are counted but are not a judgement of the lead.
    The spread (max - min, sample standard deviation) is taken across the SDRs of the segment
    and quarter with at least var sdr_consistency_min_decisions decisions (default 5): below
    that one decision moves a rate by 20 points or more, which is noise, not a definition gap.
    The SDR is the handoff's owner when the SLA was decided, with role 'sdr' in dim_users. -#}
{%- set min_decisions = var('sdr_consistency_min_decisions', 5) -%}

with

handoffs as (

    select * from {{ ref('fct_handoffs') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

comparable_mqls as (

    select
        handoffs.handoff_id,
        handoffs.owner_user_id as sdr_user_id,
        handoffs.segment_code,
        cast({{ dbt.date_trunc('quarter', 'handoffs.mql_at') }} as date) as quarter_start,
        handoffs.outcome
    from handoffs
    inner join users
        on handoffs.owner_user_id = users.user_id
    where users.role = 'sdr'
        and handoffs.is_mql_criteria_met
        and handoffs.segment_code is not null

),

sdr_quarters as (

    select
        quarter_start,
        segment_code,
        sdr_user_id,
        count(*) as comparable_mql_count,
        sum(case when outcome = 'accepted' then 1 else 0 end) as accepted_count,
        sum(case when outcome = 'rejected' then 1 else 0 end) as rejected_count,
        sum(case when outcome = 'recycled' then 1 else 0 end) as recycled_count,
        sum(case when outcome = 'open' then 1 else 0 end) as open_count
    from comparable_mqls
    group by
        quarter_start,
        segment_code,
        sdr_user_id

),

sdr_rates as (

    select
        sdr_quarters.*,
        accepted_count + rejected_count as decision_count,
        cast(accepted_count as {{ type_double() }})
            / nullif(accepted_count + rejected_count, 0) as acceptance_rate,
        accepted_count + rejected_count >= {{ min_decisions }} as is_in_spread
    from sdr_quarters

),

-- The spread only over SDRs with enough decisions; the others get the segment's figures
-- for reference but do not move them.
segment_spreads as (

    select
        quarter_start,
        segment_code,
        count(*) as compared_sdr_count,
        cast(sum(accepted_count) as {{ type_double() }}) / nullif(sum(decision_count), 0)
            as segment_acceptance_rate,
        max(acceptance_rate) as max_acceptance_rate,
        min(acceptance_rate) as min_acceptance_rate,
        stddev_samp(acceptance_rate) as acceptance_rate_stddev
    from sdr_rates
    where is_in_spread
    group by
        quarter_start,
        segment_code

),

final as (

    select
        {{ dbt.concat([
            'cast(sdr_rates.quarter_start as ' ~ dbt.type_string() ~ ')', "'|'",
            'sdr_rates.segment_code', "'|'", 'sdr_rates.sdr_user_id'
        ]) }} as sdr_quarter_id,
        sdr_rates.quarter_start,
        sdr_rates.segment_code,
        sdr_rates.sdr_user_id,
        users.user_name as sdr_name,
        users.team as sdr_team,
        sdr_rates.comparable_mql_count,
        sdr_rates.accepted_count,
        sdr_rates.rejected_count,
        sdr_rates.recycled_count,
        sdr_rates.open_count,
        sdr_rates.decision_count,
        sdr_rates.acceptance_rate,
        sdr_rates.is_in_spread,
        coalesce(segment_spreads.compared_sdr_count, 0) as compared_sdr_count,
        segment_spreads.segment_acceptance_rate,
        sdr_rates.acceptance_rate - segment_spreads.segment_acceptance_rate
            as acceptance_rate_vs_segment,
        segment_spreads.max_acceptance_rate,
        segment_spreads.min_acceptance_rate,
        segment_spreads.max_acceptance_rate - segment_spreads.min_acceptance_rate
            as acceptance_rate_spread,
        segment_spreads.acceptance_rate_stddev
    from sdr_rates
    inner join users
        on sdr_rates.sdr_user_id = users.user_id
    left join segment_spreads
        on sdr_rates.quarter_start = segment_spreads.quarter_start
        and sdr_rates.segment_code = segment_spreads.segment_code

)

select * from final
