//! One shard of a plan as its runner prints it: the plan's items back as
//! tests ([`members`]), the catch-all shard, and the [`RenderContext`] the
//! runner (or `--template`) renders. The glue between [`crate::plan`] and
//! [`crate::emit`], shared by the default command and `select`/`matrix`.

use std::path::Path;

use crate::emit::template::Template;
use crate::emit::{ListFile, Member, RenderContext, Rendered, Runner, Shards};
use crate::error::{Error, Result};
use crate::options::PlanOptions;
use crate::pipeline::Planned;

/// One shard as the runner (or `--template`) renders it, and which shard is
/// the catch-all.
pub struct RenderedShard {
    /// What to print, write and run.
    pub rendered: Rendered,
    /// The catch-all shard, if `--catch-all` is in effect and the runner
    /// can run every test but the other shards' there.
    pub catch_all: Option<usize>,
}

/// The catch-all shard of a plan made with `options`: on by default
/// without `--tests-from`, it is the last shard with planned items, so it
/// never runs empty.
pub fn catch_all(planned: &Planned, options: &PlanOptions) -> Option<usize> {
    if options.catch_all_on() {
        planned
            .plan
            .shards
            .iter()
            .rposition(|s| !s.items.is_empty())
    } else {
        None
    }
}

/// Renders shard `index` of a plan made with `options`; see
/// [`render_shards`]. Each shard's members are made as the runner walks
/// them ([`Shards::planned`]), not held for every shard.
pub fn render_shard(
    planned: &Planned,
    options: &PlanOptions,
    index: usize,
    render: &RenderOptions<'_>,
    runner: &dyn Runner,
) -> Result<RenderedShard> {
    let tests_of = tests_of_shards(planned);
    let slices: Vec<&[usize]> = match &tests_of {
        Some(tests) => tests.iter().map(Vec::as_slice).collect(),
        None => planned
            .plan
            .shards
            .iter()
            .map(|s| s.items.as_slice())
            .collect(),
    };
    let problem = &planned.plan.problem;
    let shards = Shards::planned(
        &planned.suite,
        &problem.items,
        &problem.item_of_test,
        &slices,
    );
    let catch_all = catch_all(planned, options);
    // A template names items in key order: it has no use for the order.
    let longest_first = match render.template {
        None => longest_first(planned, runner),
        Some(_) => Vec::new(),
    };
    let rendered = render_shards(
        shards,
        catch_all,
        &planned.fingerprint,
        index,
        &RenderOptions {
            longest_first: &longest_first,
            ..*render
        },
        runner,
    )?;
    Ok(RenderedShard {
        catch_all: catch_all.filter(|_| !rendered.declined_catch_all),
        rendered,
    })
}

/// Each shard's test indexes in native id order, or `None` where test `i`
/// is item `i`: then a shard's items, in key order, are its tests in that
/// order already.
fn tests_of_shards(planned: &Planned) -> Option<Vec<Vec<usize>>> {
    let plan = &planned.plan;
    let problem = &plan.problem;
    let tests = planned.suite.tests.len();
    check_made_from(planned);
    if problem.item_of_test.is_empty() {
        return None;
    }
    let mut shard_of_item = vec![0; problem.items.len()];
    let mut shards: Vec<Vec<usize>> = Vec::with_capacity(plan.shards.len());
    for (shard, content) in plan.shards.iter().enumerate() {
        let mut count = 0;
        for &item in &content.items {
            shard_of_item[item] = shard;
            count += problem.tests_in(item) as usize;
        }
        shards.push(Vec::with_capacity(count));
    }
    for (test, &item) in (0..tests).zip(&problem.item_of_test) {
        shards[shard_of_item[item]].push(test);
    }
    Some(shards)
}

/// Checks that `planned`'s plan was made from its suite.
fn check_made_from(planned: &Planned) {
    let problem = &planned.plan.problem;
    let tests = planned.suite.tests.len();
    assert!(
        problem.item_of_test.len() == tests
            || (problem.item_of_test.is_empty() && problem.items.len() == tests),
        "the plan was made from this suite"
    );
}

/// Each shard's groups longest first when `runner` starts groups in the
/// order its command names them, else nothing (key order).
pub fn longest_first<'p>(planned: &'p Planned, runner: &dyn Runner) -> Vec<Vec<&'p str>> {
    if runner.starts_groups_in_order() {
        planned.plan.groups_longest_first()
    } else {
        Vec::new()
    }
}

/// How a shard is printed beyond the runner's own filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// `--list-file`.
    pub list_file: Option<&'a Path>,
    /// `--template`.
    pub template: Option<&'a str>,
    /// Per shard, its groups longest first, when the runner
    /// [starts groups in order](Runner::starts_groups_in_order); empty
    /// otherwise (see [`RenderContext::longest_first`]). [`render_shard`]
    /// takes it from the plan, whatever its caller passes.
    pub longest_first: &'a [Vec<&'a str>],
}

/// Renders shard `index` of `shards` (every shard's planned tests); see
/// [`render_shards`].
pub fn render_members(
    shards: &[Vec<Member<'_>>],
    catch_all: Option<usize>,
    fingerprint: &str,
    index: usize,
    options: &RenderOptions<'_>,
    runner: &dyn Runner,
) -> Result<Rendered> {
    render_shards(
        Shards::new(shards),
        catch_all,
        fingerprint,
        index,
        options,
        runner,
    )
}

/// Renders shard `index` of `shards` (every shard's planned tests) with the
/// runner, or `--template`. The list file is `--list-file` or a temporary
/// file named by the plan's fingerprint. Every shard repeats the
/// catch-all's warnings.
pub fn render_shards(
    shards: Shards<'_>,
    catch_all: Option<usize>,
    fingerprint: &str,
    index: usize,
    options: &RenderOptions<'_>,
    runner: &dyn Runner,
) -> Result<Rendered> {
    let list_file = ListFile {
        path: options.list_file.map(Path::to_path_buf).unwrap_or_else(|| {
            std::env::temp_dir().join(format!(
                "shardplan-{fingerprint}-{index}-of-{}.list",
                shards.len()
            ))
        }),
        forced: options.list_file.is_some(),
    };
    let ctx = RenderContext {
        index,
        shards,
        catch_all,
        list_file: &list_file,
        longest_first: options.longest_first,
    };
    let template = match options.template {
        Some(text) => {
            Some(Template::parse(text).map_err(|e| Error::usage(format!("--template: {e}")))?)
        }
        None => None,
    };
    let render = |ctx: &RenderContext<'_>| match &template {
        Some(template) => Ok(template.render(ctx)),
        None => runner.render(ctx).map_err(Error::input),
    };
    // Every shard repeats the catch-all's warnings: a test that runs
    // nowhere must be seen whichever job's log is read. The catch-all is
    // rendered first and only its warnings kept, so that two shards'
    // arguments (a million tests' worth, at 8 shards a quarter of one) are
    // never held at once.
    let (theirs, declined) = match catch_all.filter(|&c| c != index) {
        Some(other) => {
            let theirs = render(&RenderContext {
                index: other,
                ..ctx.clone()
            })?;
            (theirs.warnings, theirs.declined_catch_all)
        }
        None => (Vec::new(), false),
    };
    let mut rendered = render(&ctx)?;
    rendered.warnings.extend(theirs);
    // Every shard says whether the catch-all runs what the plan does not
    // know, not only the catch-all itself.
    rendered.declined_catch_all |= declined;
    Ok(rendered)
}

/// Every shard's planned tests, each with the granularity of the item that
/// holds it (the plan's, or a single test of a class or file
/// `--split-large` split), sorted by native id. Each test's item is known
/// from the problem ([`crate::plan::Problem::item_of_test`]): nothing is
/// looked up by key.
pub fn members(planned: &Planned) -> Vec<Vec<Member<'_>>> {
    let problem = &planned.plan.problem;
    let member = |test: usize, item: usize| Member {
        test: planned.suite.id(test),
        by: problem.items[item].granularity,
    };
    match tests_of_shards(planned) {
        // Test i is item i, and a shard's items are in key order, so its
        // tests are in native id order already.
        None => planned
            .plan
            .shards
            .iter()
            .map(|content| {
                content
                    .items
                    .iter()
                    .map(|&item| member(item, item))
                    .collect()
            })
            .collect(),
        Some(shards) => shards
            .into_iter()
            .map(|shard| {
                shard
                    .into_iter()
                    .map(|test| member(test, problem.item_of_test[test]))
                    .collect()
            })
            .collect(),
    }
}
