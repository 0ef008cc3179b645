-- One row per MQL event: the handoff from marketing to sales and what became of it.
-- * SLA: int_mql_handoffs_measured (first touch within hours_to_first_touch of the MQL).
-- * Owner: who owned the lead when the SLA was decided - at the first touch when it came in
--   time, else at the deadline.
-- * Outcome: the lead's first status change after the MQL (before its next MQL): a sales
--   stage means accepted, else rejected or recycled; none yet is open.
-- * "Where did that lead go?": an MQL still open that has no owner, no touch, an inactive
--   owner, or is lost between systems (owned by a queue, the integration user or an id no
--   CRM user has: the MAP->CRM handoff never reached a person).
-- * Required fields: the fields the SLA names, checked on the lead's current values (the CRM
--   keeps no history of them).
{%- set required_field_flags = {
    'email': 'has_email',
    'company': 'has_company',
    'title': 'has_title',
    'phone': 'has_phone',
} %}

with

handoffs as (

    select * from {{ ref('int_mql_handoffs_measured') }}

),

status_changes as (

    select * from {{ ref('int_lead_status_changes_mapped') }}
    where stage_code is not null

),

owner_periods as (

    select * from {{ ref('int_lead_owner_periods_derived') }}

),

users as (

    select * from {{ ref('dim_users') }}

),

lead_records as (

    select * from {{ ref('int_person_records_resolved') }}
    where record_type = 'lead'

),

accounts as (

    select * from {{ ref('int_accounts_segmented') }}

),

handoffs_timed as (

    select
        handoffs.*,
        case
            when handoffs.first_touch_at is not null
                and (
                    handoffs.sla_deadline_at is null
                    or handoffs.first_touch_at <= handoffs.sla_deadline_at
                )
                then handoffs.first_touch_at
            else coalesce(handoffs.sla_deadline_at, handoffs.mql_at)
        end as owner_judged_at
    from handoffs

),

owners_at_judgement as (

    select
        mql_event_id,
        owner_user_id
    from (
        select
            handoffs_timed.mql_event_id,
            owner_periods.owner_user_id,
            row_number() over (
                partition by handoffs_timed.mql_event_id
                order by owner_periods.valid_from desc
            ) as period_rank
        from handoffs_timed
        inner join owner_periods
            on handoffs_timed.lead_id = owner_periods.lead_id
            and owner_periods.valid_from <= handoffs_timed.owner_judged_at
            and (
                owner_periods.valid_to is null
                or handoffs_timed.owner_judged_at < owner_periods.valid_to
            )
    ) as ranked_periods
    where period_rank = 1

),

decisions as (

    select
        mql_event_id,
        stage_code as decision_stage_code,
        changed_at as decided_at
    from (
        select
            handoffs.mql_event_id,
            status_changes.stage_code,
            status_changes.changed_at,
            row_number() over (
                partition by handoffs.mql_event_id
                order by status_changes.changed_at, status_changes.lead_history_id
            ) as decision_rank
        from handoffs
        inner join status_changes
            on handoffs.lead_id = status_changes.lead_id
            and status_changes.changed_at >= handoffs.mql_at
            and (
                handoffs.next_lead_mql_at is null
                or status_changes.changed_at < handoffs.next_lead_mql_at
            )
            and status_changes.stage_code not in ('lead', 'mql')
    ) as ranked_decisions
    where decision_rank = 1

),

required_field_checks as (

    {%- for field_name, flag_column in required_field_flags.items() %}

    select
        handoffs.mql_event_id,
        handoffs.required_fields,
        '{{ field_name }}' as field_name,
        {{ loop.index }} as field_position,
        lead_records.{{ flag_column }} as is_filled
    from handoffs
    inner join lead_records
        on handoffs.lead_id = lead_records.lead_id
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

missing_fields as (

    select
        mql_event_id,
        count(*) as missing_field_count,
        {{ dbt.listagg('field_name', "';'", 'order by field_position') }} as missing_required_fields
    from required_field_checks
    where not is_filled
        and {{ dbt.concat(["';'", 'required_fields', "';'"]) }}
            like {{ dbt.concat(["'%;'", 'field_name', "';%'"]) }}
    group by mql_event_id

),

handoffs_joined as (

    select
        handoffs_timed.*,
        owners_at_judgement.owner_user_id,
        users.user_id as owner_known_user_id,
        users.team as owner_team,
        users.role as owner_role,
        users.is_active as is_owner_active_now,
        users.deactivated_at as owner_deactivated_at,
        case
            when decisions.decision_stage_code in ('sal', 'sql', 'opportunity', 'won', 'lost')
                then 'accepted'
            when decisions.decision_stage_code = 'rejected' then 'rejected'
            when decisions.decision_stage_code = 'recycled' then 'recycled'
            else 'open'
        end as outcome,
        decisions.decided_at,
        missing_fields.missing_field_count,
        missing_fields.missing_required_fields,
        lead_records.account_id,
        accounts.is_abm_target,
        accounts.owner_user_id as account_owner_user_id
    from handoffs_timed
    left join owners_at_judgement
        on handoffs_timed.mql_event_id = owners_at_judgement.mql_event_id
    left join users
        on owners_at_judgement.owner_user_id = users.user_id
    left join decisions
        on handoffs_timed.mql_event_id = decisions.mql_event_id
    left join missing_fields
        on handoffs_timed.mql_event_id = missing_fields.mql_event_id
    left join lead_records
        on handoffs_timed.lead_id = lead_records.lead_id
    left join accounts
        on lead_records.account_id = accounts.account_id

),

handoffs_flagged as (

    select
        handoffs_joined.*,
        owner_user_id is not null as has_owner,
        -- Active when the SLA was decided and, for an MQL nobody has decided on, still active.
        case
            when owner_known_user_id is null then null
            when outcome = 'open' then is_owner_active_now
            else is_owner_active_now or owner_deactivated_at > owner_judged_at
        end as is_owner_active,
        owner_user_id is not null
            and (
                owner_user_id like '00G%'
                or owner_role = 'system'
                or owner_known_user_id is null
            ) as is_lost_between_systems
    from handoffs_joined

),

final as (

    select
        mql_event_id as handoff_id,
        person_id,
        lead_id,
        account_id,
        mql_at,
        mql_cycle_number,
        lead_mql_number,
        segment_code,
        mql_criteria_version,
        is_mql_criteria_met,
        score_at_mql,
        min_score,
        has_qualifying_action,
        sla_version,
        sla_hours,
        attempts_before_recycle,
        sla_deadline_at,
        first_touch_at,
        hours_to_first_touch,
        attempt_count,
        is_within_sla,
        owner_user_id,
        owner_team,
        owner_role,
        is_owner_active,
        has_owner,
        has_touch,
        is_lost_between_systems,
        outcome = 'open'
            and (
                not has_owner
                or not has_touch
                or not coalesce(is_owner_active, true)
                or is_lost_between_systems
            ) as is_where_did_that_lead_go,
        case when required_fields is not null then coalesce(missing_field_count, 0) = 0 end
            as has_required_fields,
        missing_required_fields,
        outcome,
        decided_at,
        coalesce(is_abm_target, false) as is_abm_account,
        coalesce(owner_user_id = account_owner_user_id, false) as is_routed_to_account_owner
    from handoffs_flagged

)

select * from final
