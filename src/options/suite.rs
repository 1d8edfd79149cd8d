//! What a run's or a replay's flags make of the suite: the plan loaded ([`Suite::load`]:
//! case files, derived cases, the created-name rule of a URL target, the baseline, the
//! partition's share with the whole plan's ids kept), the [`RunSpec`] the suite decides
//! ([`Suite::into_spec`]), what the run writes ([`Outputs`]: report files, bundle,
//! recording) and the exit code it ends with ([`Outputs::exit`]).

use std::path::{Path, PathBuf};

use super::args::{OutputArgs, PlanArgs, ProfileArg, ReplayArgs, RunArgs};
use super::spec::cts_run;
use crate::case::model::Profile;
use crate::case::{LoadedCase, Source};
use crate::contract::{Contract, EMBEDDED_OPENAPI};
use crate::outcome::{Baseline, Exit};
use crate::partition::Partition;
use crate::record::RunMeta;
use crate::report::files::Reports;
use crate::run::signals::StopSignal;
use crate::run::RunConfig;
use crate::runner::plan::Plan;
use crate::runner::{Finished, RunSpec, Target};
use crate::terminal;

/// Why the suite cannot be had; nothing has been sent.
#[derive(Debug)]
pub enum SuiteError {
    /// Case-file errors, each with its file:line:col: printed as they are (exit 2).
    CaseFiles(String),
    /// One line (exit 2).
    Usage(String),
}

/// The cases a run (or replay) judges, and what it knows of the plan they come from.
pub struct Suite {
    /// This run's cases: the partition's share of the plan, in plan order.
    pub cases: Vec<LoadedCase>,
    /// The whole plan's ids (before any partition): a shard's report carries them, so
    /// that `report merge` sees a missing shard.
    pub plan_ids: Vec<String>,
    pub baseline: Baseline,
    baseline_file: Option<String>,
    partition: Option<Partition>,
    pub profile: Profile,
    /// The case files' texts, kept only until [`Suite::fingerprint`].
    sources: Vec<Source>,
}

impl Suite {
    /// The plan of `plan`, its baseline (`baseline`, checked against every id the plan
    /// could hold) and the share of `partition`. A URL target (`url_target`) also needs
    /// every tracker a case file creates named with the run's prefix. A flag that does
    /// nothing is said through `notice`.
    pub fn load(
        plan: &PlanArgs,
        baseline: Option<&Path>,
        partition: Option<Partition>,
        url_target: bool,
        notice: &mut dyn FnMut(String),
    ) -> Result<Suite, SuiteError> {
        let contract = Contract::embedded();
        let service = &crate::cts::Cts;
        for warning in plan.warnings() {
            notice(warning);
        }
        let mut loaded = Plan::load(&plan.spec(), contract, service)
            .map_err(|errors| SuiteError::CaseFiles(errors.to_string()))?;
        if url_target {
            crate::cts::case_files::check_created_names(&loaded.cases, &loaded.sources)
                .map_err(|errors| SuiteError::CaseFiles(errors.to_string()))?;
        }
        let baseline_set = loaded
            .baseline(baseline, contract, service)
            .map_err(SuiteError::Usage)?;
        let planned = std::mem::take(&mut loaded.cases);
        let plan_ids = planned.iter().map(|case| case.id.clone()).collect();
        let cases = match partition {
            Some(partition) => partition.select(planned),
            None => planned,
        };
        Ok(Suite {
            cases,
            plan_ids,
            baseline: baseline_set,
            baseline_file: baseline.map(|p| p.display().to_string()),
            partition,
            profile: loaded.profile,
            sources: std::mem::take(&mut loaded.sources),
        })
    }

    /// The fingerprint of the contract and the case files (reports and recordings carry
    /// it), if `wanted` (else empty); the case files' texts are freed either way: a large
    /// suite's text is not kept for the whole run.
    pub fn take_fingerprint(&mut self, wanted: bool) -> String {
        let sources = std::mem::take(&mut self.sources);
        match wanted {
            true => crate::report::results::fingerprint(EMBEDDED_OPENAPI, &sources),
            false => String::new(),
        }
    }

    /// The run of this suite on `target` as libtest's flags select and pace it, with the
    /// CTS contract and service ([`cts_run`]); the caller sets what else its flags say.
    pub fn into_spec(
        self,
        libtest: &libtest_mimic::Arguments,
        target: Target,
        config: RunConfig,
    ) -> RunSpec {
        RunSpec {
            selection: terminal::selection(libtest, &self.cases),
            concurrency: libtest
                .test_threads
                .unwrap_or(terminal::DEFAULT_CONCURRENCY),
            baseline: self.baseline,
            plan_ids: self.plan_ids,
            profile: format!("{:?}", self.profile).to_lowercase(),
            partition: self.partition.map(|p| p.to_string()),
            baseline_file: self.baseline_file,
            ..cts_run(target, config, self.cases)
        }
    }
}

/// What a run writes, and how its completeness gates its exit code.
#[derive(Default)]
pub struct Outputs {
    pub reports: Option<Reports>,
    /// `--bundle DIR` (checked new or empty; the recording goes in it too).
    pub bundle: Option<PathBuf>,
    /// `--record DIR`, or the bundle's recording.
    pub record: Option<PathBuf>,
    pub fail_on_ignored: bool,
    pub min_coverage: Option<f64>,
    /// `--print-critical-path`: the run's bound, printed after it.
    pub print_critical_path: bool,
}

impl OutputArgs {
    /// The report files asked for; a missing directory or two reports on one file is the
    /// usage message.
    pub fn reports(&self) -> Result<Option<Reports>, String> {
        Reports::plan(
            self.junit.as_deref(),
            self.report_json.as_deref(),
            self.report_html.as_deref(),
        )
        .map_err(|e| e.to_string())
    }
}

impl RunArgs {
    /// What this run writes; a report file or `--bundle DIR` that cannot be used is the
    /// usage message (before anything is sent).
    pub fn outputs(&self) -> Result<Outputs, String> {
        let reports = self.outputs.reports()?;
        if let Some(dir) = &self.bundle {
            crate::bundle::prepare(dir).map_err(|e| e.to_string())?;
        }
        let record = self.record.clone().or_else(|| {
            self.bundle
                .as_ref()
                .map(|dir| dir.join(crate::bundle::RECORDING))
        });
        Ok(Outputs {
            reports,
            bundle: self.bundle.clone(),
            record,
            fail_on_ignored: self.fail_on_ignored,
            min_coverage: self.min_coverage,
            print_critical_path: self.print_critical_path,
        })
    }
}

/// How a run that ran ended, beside its results: what [`Outputs::exit`] judges.
pub struct RunEnd {
    /// The signal that interrupted the run (Ctrl-C, SIGTERM, SIGHUP), if one did
    /// (whether it was interrupted is the summary's).
    pub signal: Option<StopSignal>,
    /// libtest saw a failed trial.
    pub libtest_failed: bool,
    /// Every report and the recording were written.
    pub written: bool,
}

impl Outputs {
    /// The exit code of a run that ran, and the lines (for stderr) that say why when it
    /// is not plain: a configuration problem found during the run (3), a stop by a signal
    /// (130, 143, 129), a report not written (5; first, since CI would otherwise judge
    /// without it), a failure seen by libtest or the reports (101; they never disagree)
    /// or a tracker left behind, else 0 unless `--fail-on-ignored` or `--min-coverage`
    /// finds the run incomplete (6).
    pub fn exit(&self, finished: &Finished, end: &RunEnd) -> (Exit, Vec<String>) {
        if let Some(why) = &finished.configuration_error {
            return (Exit::Unreachable, vec![format!("error: {why}")]);
        }
        if finished.summary.interrupted {
            let line = "interrupted: cases that had started stopped after their current step \
                        and cleaned up; the rest did not run";
            return (
                end.signal.map_or(Exit::Interrupted, Exit::from),
                vec![line.into()],
            );
        }
        if !end.written {
            let line = "error: the run finished but a report could not be written (exit 5)";
            return (Exit::ReportNotWritten, vec![line.into()]);
        }
        let failed = end.libtest_failed
            || !finished.summary.leftovers.is_empty()
            || finished.results.iter().any(|r| r.verdict.fails_run());
        if failed {
            return (Exit::Failed, Vec::new());
        }
        let gate = crate::report::completeness::gate(
            &finished.completeness,
            self.fail_on_ignored,
            self.min_coverage,
        );
        match gate {
            Some(reason) => (
                Exit::Incomplete,
                vec![format!("error: the run is incomplete (exit 6): {reason}")],
            ),
            None => (Exit::Passed, Vec::new()),
        }
    }

    /// Whether anything written names the suite's fingerprint (else it is not computed).
    pub fn fingerprinted(&self) -> bool {
        self.record.is_some() || self.keeps_results()
    }

    /// Whether the run's results are kept to the end, for a report or the bundle.
    pub fn keeps_results(&self) -> bool {
        self.reports.is_some() || self.bundle.is_some()
    }
}

impl ReplayArgs {
    /// The plan a replay judges with: its flags', the profile the recorded run's unless
    /// `--profile` says otherwise.
    pub fn plan(&self, recorded: &RunMeta) -> PlanArgs {
        let recorded_profile = match recorded.profile.as_str() {
            "strict" => ProfileArg::Strict,
            _ => ProfileArg::Documented,
        };
        PlanArgs {
            cases: self.cases.clone(),
            with_builtin: self.with_builtin,
            profile: self.profile.unwrap_or(recorded_profile),
            no_derived: self.no_derived,
        }
    }

    /// The partition a replay judges: `--partition`, else the recorded run's.
    pub fn partition(&self, recorded: &RunMeta) -> Result<Option<Partition>, String> {
        match (&self.outputs.partition, &recorded.partition) {
            (Some(partition), _) => Ok(Some(*partition)),
            (None, Some(text)) => text
                .parse::<Partition>()
                .map(Some)
                .map_err(|e| format!("the recording's partition {text:?}: {e}")),
            (None, None) => Ok(None),
        }
    }
}
