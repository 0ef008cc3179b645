{#- One row per attribution model, opportunity quarter, segment, channel and campaign: the
    credit each model gives, in opportunities, pipeline and won revenue, with the pipeline
    split the way the CMO and the CRO each read it, from the same fct_attribution rows:
      marketing_influenced_pipeline_credit  pipeline credited to marketing touches under the
                                            model (the CMO's "marketing pipeline")
      <x>_sourced_pipeline_credit           pipeline whose CRM lead source is x's
                                            (def_lead_sources.sourced_by: the CRO's split)
    Both add up to the same pipeline_credit, which for one model, quarter and segment adds
    up to fct_opportunities' pipeline to the cent: the 'unattributed' channel holds the
    pipeline of opportunities without an eligible touch. -#}

with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

final as (

    select
        {{ dbt.concat([
            'attribution_model', "'|'",
            'cast(opportunity_quarter as ' ~ dbt.type_string() ~ ')', "'|'",
            "coalesce(segment_code, 'unknown')", "'|'",
            'channel', "'|'",
            "coalesce(campaign_id, 'none')",
        ]) }} as attribution_metric_id,
        attribution_model,
        opportunity_quarter,
        coalesce(segment_code, 'unknown') as segment_code,
        channel,
        channel_group,
        campaign_id,
        max(case when is_model_in_force then 1 else 0 end) = 1 as is_model_in_force,
        sum(case when counts_opportunity then 1 else 0 end) as opportunity_count,
        sum(case when is_attributed then 1 else 0 end) as touch_count,
        sum(attribution_credit) as opportunity_credit,
        sum(pipeline_credit) as pipeline_credit,
        sum(revenue_credit) as revenue_credit,
        sum(case when is_attributed and channel_group <> 'sales' then pipeline_credit else 0 end)
            as marketing_influenced_pipeline_credit,
        sum(case when crm_sourced_by = 'marketing' then pipeline_credit else 0 end)
            as marketing_sourced_pipeline_credit,
        sum(case when crm_sourced_by = 'sales' then pipeline_credit else 0 end)
            as sales_sourced_pipeline_credit,
        sum(case when crm_sourced_by = 'partner' then pipeline_credit else 0 end)
            as partner_sourced_pipeline_credit,
        sum(case when crm_sourced_by not in ('marketing', 'sales', 'partner') then pipeline_credit else 0 end)
            as unknown_sourced_pipeline_credit
    from attribution
    group by
        attribution_model,
        opportunity_quarter,
        coalesce(segment_code, 'unknown'),
        channel,
        channel_group,
        campaign_id

)

select * from final
