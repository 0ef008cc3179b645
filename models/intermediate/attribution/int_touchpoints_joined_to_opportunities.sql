{#- One row per opportunity and eligible touch, with the opportunity's own milestones.

    Reach (B2B buying groups): a touch reaches an opportunity through a person in one of its
    live contact roles (linked_by contact_role), or through its account: any person whose
    account (dim_people) is the opportunity's, or an activity the MAP filed under the account
    (linked_by account). A touch reached both ways keeps contact_role.

    Window: from var attribution.lookback_days (180) before the opportunity was created up to
    its creation, the creation moment included (is_before_opportunity_creation); touches after
    creation are kept up to the close (the close date included; open deals: all) for the
    presets whose journey_end is 'closed' (full_path).

    Milestones, among these touches ordered by touched_at then touchpoint_id (ties resolved
    the same way on every engine):
      first touch                 touch_number 1
      lead creation touch         last touch at or before the opportunity's lead creation
                                  moment (int_opportunity_contacts_resolved) and its creation
      opportunity creation touch  last touch at or before the opportunity's creation
      closed-won touch            last touch up to the close, won deals only

    Incremental (15 s of a 1M-lead daily run as a table): a run recomputes the journeys of the
    opportunities whose inputs changed since the last run, found from fct_touchpoints' run
    stamps and copies of the opportunity windows and contacts it read (macro
    opportunity_journeys_changed_since_last_run; the pre-hooks of incremental_changed_keys
    stage them and delete their rows). A change of var attribution.lookback_days needs
    `--full-refresh`. Equal to a full rebuild: tests/test_incremental_marts.py. -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='opportunity_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    pre_hook=[
        "{{ incremental_stage_changed_keys(opportunity_journeys_changed_since_last_run()) }}",
        "{{ incremental_delete_changed_keys('opportunity_id') }}",
    ],
    post_hook=[
        "{{ incremental_drop_changed_keys() }}",
        "{{ opportunity_input_saved('opportunities') }}",
        "{{ opportunity_input_saved('contacts') }}",
    ],
) }}

{#- What each link to an opportunity carries of the touch it found. -#}
{%- set touch_columns = [
    'touchpoint_id', 'person_id', 'channel', 'channel_group', 'campaign_id', 'activity_type',
    'touch_source', 'touched_at',
] -%}

with

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where is_attribution_eligible

),

{% if is_incremental() %}
changed as (

    select * from {{ changed_keys_relation() }}

),
{% endif %}

opportunities as (

    select * from {{ ref('fct_opportunities') }}
    {%- if is_incremental() %}
    where opportunity_id in (select changed.opportunity_id from changed)
    {%- endif %}

),

opportunity_contacts as (

    select * from {{ ref('int_opportunity_contacts_resolved') }}
    {%- if is_incremental() %}
    where opportunity_id in (select changed.opportunity_id from changed)
    {%- endif %}

),

lead_creation_moments as (

    select
        opportunity_id,
        coalesce(
            max(case when is_primary then lead_created_at end),
            min(lead_created_at)
        ) as lead_created_at
    from opportunity_contacts
    group by opportunity_id

),

opportunity_windows as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.created_at as opportunity_created_at,
        opportunities.is_closed,
        opportunities.is_won,
        {{ attribution_window_closed_before('opportunities.is_closed', 'opportunities.close_date') }}
            as closed_before,
        lead_creation_moments.lead_created_at
    from opportunities
    left join lead_creation_moments
        on opportunities.opportunity_id = lead_creation_moments.opportunity_id

),

-- Each link carries the touch's columns, so the window filter below joins on
-- opportunity_id only. Joining touchpoints a second time by touchpoint_id (as before) let
-- PostgreSQL, with no statistics for the CTEs, join every opportunity window to every touch
-- first: a 12.7M-row nested loop, ~31 s at 10,000 leads (docs/engines.md).
touches_by_contact_role as (

    select
        opportunity_contacts.opportunity_id,
        'contact_role' as linked_by,
        1 as link_priority,
        {%- for column in touch_columns %}
        touchpoints.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunity_contacts
    inner join touchpoints
        on opportunity_contacts.person_id = touchpoints.person_id

),

touches_by_account as (

    select
        opportunity_windows.opportunity_id,
        'account' as linked_by,
        2 as link_priority,
        {%- for column in touch_columns %}
        touchpoints.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from opportunity_windows
    inner join touchpoints
        on opportunity_windows.account_id = touchpoints.account_id

),

linked_touches as (

    select * from touches_by_contact_role
    union all
    select * from touches_by_account

),

touches_in_window as (

    select
        linked_touches.opportunity_id,
        linked_touches.linked_by,
        linked_touches.touchpoint_id,
        linked_touches.person_id,
        linked_touches.channel,
        linked_touches.channel_group,
        linked_touches.campaign_id,
        linked_touches.activity_type,
        linked_touches.touch_source,
        linked_touches.touched_at,
        opportunity_windows.opportunity_created_at,
        opportunity_windows.lead_created_at,
        opportunity_windows.is_won,
        linked_touches.touched_at <= opportunity_windows.opportunity_created_at
            as is_before_opportunity_creation,
        row_number() over (
            partition by linked_touches.opportunity_id, linked_touches.touchpoint_id
            order by linked_touches.link_priority
        ) as link_rank
    from linked_touches
    inner join opportunity_windows
        on linked_touches.opportunity_id = opportunity_windows.opportunity_id
    where {{ in_attribution_window(
        'linked_touches.touched_at',
        'opportunity_windows.opportunity_created_at',
        'opportunity_windows.closed_before',
    ) }}

),

touches_numbered as (

    select
        touches_in_window.*,
        row_number() over (
            partition by opportunity_id
            order by touched_at, touchpoint_id
        ) as touch_number
    from touches_in_window
    where link_rank = 1

),

milestone_numbers as (

    select
        touches_numbered.*,
        max(
            case
                when is_before_opportunity_creation and touched_at <= lead_created_at
                    then touch_number
            end
        ) over (partition by opportunity_id) as lead_creation_touch_number,
        max(case when is_before_opportunity_creation then touch_number end)
            over (partition by opportunity_id) as opportunity_creation_touch_number,
        max(case when is_won then touch_number end)
            over (partition by opportunity_id) as closed_won_touch_number,
        sum(case when is_before_opportunity_creation then 1 else 0 end)
            over (partition by opportunity_id) as touches_before_creation_count,
        count(*) over (partition by opportunity_id) as touches_to_close_count,
        -- The earliest touch of each channel and campaign, to the opportunity's creation and
        -- to its close (the presets' two journey ends): fct_attribution's counts_opportunity.
        min(case when is_before_opportunity_creation then touch_number end) over (
            partition by opportunity_id, channel, channel_group, campaign_id
        ) as first_channel_campaign_touch_number_to_creation,
        min(touch_number) over (
            partition by opportunity_id, channel, channel_group, campaign_id
        ) as first_channel_campaign_touch_number_to_close
    from touches_numbered

),

final as (

    select
        {{ dbt.concat(['opportunity_id', "'|'", 'touchpoint_id']) }} as opportunity_touch_id,
        opportunity_id,
        touchpoint_id,
        linked_by,
        person_id,
        channel,
        channel_group,
        campaign_id,
        activity_type,
        touch_source,
        touched_at,
        touch_number,
        touches_before_creation_count,
        touches_to_close_count,
        is_before_opportunity_creation,
        touch_number = 1 as is_first_touch,
        coalesce(touch_number = lead_creation_touch_number, false) as is_lead_creation_touch,
        coalesce(touch_number = opportunity_creation_touch_number, false) as is_opportunity_creation_touch,
        coalesce(touch_number = closed_won_touch_number, false) as is_closed_won_touch,
        coalesce(touch_number = first_channel_campaign_touch_number_to_creation, false)
            as is_first_channel_campaign_touch_to_creation,
        touch_number = first_channel_campaign_touch_number_to_close
            as is_first_channel_campaign_touch_to_close,
        -- Fractional days (seconds / 86,400): whole-day datediff would give a touch 23 hours
        -- before creation the weight of one made at the same second.
        cast({{ dbt.datediff('touched_at', 'opportunity_created_at', 'second') }} as {{ type_double() }})
            / 86400.0 as days_before_opportunity_creation,

        ---------- lineage
        {{ run_stamp() }} as recomputed_at
    from milestone_numbers

)

select * from final
