{#- One row per attribution model and channel: the pipeline the model credits to the channel,
    its share of all pipeline, and how far it moves credit from the model in force
    (var attribution.model_in_force) and from first touch (the usual MAP default, which
    over-credits top-of-funnel content). credit_moved_vs_model_in_force is the share of all
    pipeline that changes channel when switching from the model in force to this one:
    half the sum over channels of the absolute differences in share. -#}
{%- set model_in_force = var('attribution')['model_in_force'] -%}

with

-- Summed from metrics_attribution, which already groups the credit rows by model and channel
-- (among others): a few thousand rows instead of fct_attribution's 34.8M at 1M leads, whose
-- second scan took 3.7 s of a 1M-lead daily run beside metrics_attribution's own.
channel_credit as (

    select
        attribution_model,
        channel,
        sum(pipeline_credit) as pipeline_credit,
        sum(revenue_credit) as revenue_credit,
        sum(opportunity_credit) as opportunity_credit
    from {{ ref('metrics_attribution') }}
    group by
        attribution_model,
        channel

),

models as (

    select distinct attribution_model from channel_credit

),

channels as (

    select distinct channel from channel_credit

),

model_totals as (

    select
        attribution_model,
        sum(pipeline_credit) as total_pipeline
    from channel_credit
    group by attribution_model

),

model_channels as (

    select
        models.attribution_model,
        channels.channel,
        coalesce(channel_credit.pipeline_credit, 0) as pipeline_credit,
        coalesce(channel_credit.revenue_credit, 0) as revenue_credit,
        coalesce(channel_credit.opportunity_credit, 0) as opportunity_credit,
        case
            when model_totals.total_pipeline > 0
                then coalesce(channel_credit.pipeline_credit, 0) / model_totals.total_pipeline
            else 0
        end as pipeline_share
    from models
    cross join channels
    inner join model_totals
        on models.attribution_model = model_totals.attribution_model
    left join channel_credit
        on models.attribution_model = channel_credit.attribution_model
        and channels.channel = channel_credit.channel

),

compared as (

    select
        model_channels.*,
        model_channels.pipeline_credit - in_force.pipeline_credit as pipeline_credit_vs_model_in_force,
        model_channels.pipeline_share - in_force.pipeline_share as pipeline_share_vs_model_in_force,
        model_channels.pipeline_credit - first_touch.pipeline_credit as pipeline_credit_vs_first_touch,
        model_channels.pipeline_share - first_touch.pipeline_share as pipeline_share_vs_first_touch
    from model_channels
    left join model_channels as in_force
        on model_channels.channel = in_force.channel
        and in_force.attribution_model = '{{ model_in_force }}'
    left join model_channels as first_touch
        on model_channels.channel = first_touch.channel
        and first_touch.attribution_model = 'first_touch'

),

final as (

    select
        {{ dbt.concat(['attribution_model', "'|'", 'channel']) }} as model_channel_id,
        attribution_model,
        channel,
        attribution_model = '{{ model_in_force }}' as is_model_in_force,
        opportunity_credit,
        pipeline_credit,
        revenue_credit,
        pipeline_share,
        pipeline_credit_vs_model_in_force,
        pipeline_share_vs_model_in_force,
        pipeline_credit_vs_first_touch,
        pipeline_share_vs_first_touch,
        sum(abs(pipeline_share_vs_model_in_force)) over (partition by attribution_model) / 2
            as credit_moved_vs_model_in_force
    from compared

)

select * from final
