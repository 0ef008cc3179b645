{#-
    One squaring of the Markov transition matrices of int_markov_removal_effects_computed:
    `matrix` names a CTE of (removed_channel, from_state, to_state, probability) rows, one
    matrix per removed channel; the select returns the same columns for the matrix times
    itself.

    The default joins the CTE to itself. Spark inlines every CTE into each place it is read
    (DuckDB and PostgreSQL compute a CTE read twice once), so 12 squarings, each reading the
    previous one twice, became a plan with 2^12 copies of the first matrix: the model ran
    for minutes at 500 leads before it was stopped. On Spark each matrix is therefore read
    once: its steps are collected into one row per removed channel and paired with each other
    through two `explode`s of that row. Same rows, same threshold, same sums (to the last
    bits of the floating-point order).
-#}
{% macro markov_matrix_squared(matrix) -%}
    {{ return(adapter.dispatch('markov_matrix_squared', 'revops')(matrix)) }}
{%- endmacro %}

{% macro default__markov_matrix_squared(matrix) %}
    select
        left_step.removed_channel,
        left_step.from_state,
        right_step.to_state,
        sum(left_step.probability * right_step.probability) as probability
    from {{ matrix }} as left_step
    inner join {{ matrix }} as right_step
        on left_step.removed_channel = right_step.removed_channel
        and left_step.to_state = right_step.from_state
    group by
        left_step.removed_channel,
        left_step.from_state,
        right_step.to_state
    -- PostgreSQL raises "value out of range: underflow" where a product of doubles falls
    -- below ~1e-308 (DuckDB rounds to 0): mass under 1e-100 is dropped at every step, so no
    -- product of two kept values can underflow, and what is dropped changes nothing visible.
    having sum(left_step.probability * right_step.probability) >= 1e-100
{% endmacro %}

{% macro spark__markov_matrix_squared(matrix) %}
    select
        matrices.removed_channel,
        left_step.from_state,
        right_step.to_state,
        sum(left_step.probability * right_step.probability) as probability
    from (
        select
            removed_channel,
            collect_list(struct(from_state, to_state, probability)) as steps
        from {{ matrix }}
        group by removed_channel
    ) as matrices
    lateral view explode(matrices.steps) left_steps as left_step
    lateral view explode(matrices.steps) right_steps as right_step
    where left_step.to_state = right_step.from_state
    group by
        matrices.removed_channel,
        left_step.from_state,
        right_step.to_state
    -- The default's threshold, so both keep the same entries.
    having sum(left_step.probability * right_step.probability) >= 1e-100
{% endmacro %}
