-- Versioned definitions must leave exactly one version in force per segment and day, or a
-- record is judged twice (and counted twice in fct_handoffs and fct_lifecycle_events). A
-- returned row is a pair of versions of one definition whose [effective_from, effective_to)
-- ranges overlap for a segment. Threshold 0: an overlap is an editing mistake in the seed.
{%- set versioned = [
    ('def_mql_criteria', 'criteria_version'),
    ('def_handoff_sla', 'sla_version'),
    ('def_icp_versions', 'icp_version'),
] %}

with

{% for seed_name, version_column in versioned %}
{{ seed_name }}_overlapping_versions as (

    select
        '{{ seed_name }}' as definition_name,
        earlier.segment_code,
        earlier.{{ version_column }} as earlier_version,
        later.{{ version_column }} as later_version
    from {{ ref(seed_name) }} as earlier
    inner join {{ ref(seed_name) }} as later
        on earlier.segment_code = later.segment_code
        and earlier.{{ version_column }} != later.{{ version_column }}
        and earlier.effective_from <= later.effective_from
        and (earlier.effective_to is null or later.effective_from < earlier.effective_to)

),
{% endfor %}

overlapping_versions as (
{%- for seed_name, version_column in versioned %}

    select * from {{ seed_name }}_overlapping_versions
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}

)

select * from overlapping_versions
