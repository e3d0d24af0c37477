//! `jwtlens explain`: a named policy's decision on a token, check by check, with the API's
//! messages; the exit status says accepted (0) or rejected (1).

use jwtlens_engine::analysis::TokenReport;
use jwtlens_engine::config::Config;
use jwtlens_engine::decision::{self, Decision, Request, SignatureCheck};
use jwtlens_engine::scan::TokenKind;
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::{escape_controls, escape_controls_in_json};
use jwtlens_jwks::KeySource;
use jwtlens_keys::verify::{describe_key_set, RemoteOutcome};
use jwtlens_settings::named_policy::NamedPolicy;

use crate::exit::Exit;
use crate::input::{current_config, fail, first_token, read_input};
use crate::verify::fetch_and_verify;

/// How a command prints its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The token, or `-` to read it from stdin.
    token: String,
    /// The `[[policies]]` entry of .jwtlens.toml to judge by (needed when there are several).
    #[arg(long)]
    policy: Option<String>,
    /// A named operation of the policy, whose permissions the request needs.
    #[arg(long)]
    operation: Option<String>,
    /// A permission the request needs (repeatable).
    #[arg(long = "permission")]
    permissions: Vec<String>,
    /// The tenant (organization) the request acts in.
    #[arg(long)]
    tenant: Option<String>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Fetch the policy's jwks_url (or, without one, the issuer's published keys) to check
    /// the signature; without it only workspace keys are used and nothing leaves the machine.
    #[arg(long)]
    online: bool,
}

/// `jwtlens explain`.
pub fn explain(args: &ExplainArgs) -> Exit {
    let input = match read_input(&args.token) {
        Ok(input) => input,
        Err(err) => return fail(err),
    };
    let config = match current_config() {
        Ok(config) => config,
        Err(err) => return fail(err),
    };
    let policy = match chosen_policy(&config, args.policy.as_deref()) {
        Ok(policy) => policy,
        Err(err) => return fail(err),
    };
    let request = match Request::new(
        policy,
        args.operation.as_deref(),
        &args.permissions,
        args.tenant.clone(),
    ) {
        Ok(request) => request,
        Err(err) => return fail(err),
    };
    let report = match first_token(&input, &config) {
        Ok(report) => report,
        Err(err) => return fail(err),
    };
    if report.token.kind == TokenKind::Jwe {
        return fail("this is an encrypted JWE: APIs judge signed tokens (JWS)");
    }
    let signature = if args.online {
        match online_signature(&report, &input, &config, policy) {
            Ok(signature) => signature,
            Err(err) => return fail(err),
        }
    } else {
        decision::signature_with_keys(&report, &input, config.keys_for_policy(&policy.name))
    };
    let decision = decision::decide(
        &report,
        policy,
        &request,
        &signature,
        timefmt::now(),
        config.settings.clock_skew,
    );
    print_decision(&decision, args.format);
    if decision.accepted {
        Exit::Success
    } else {
        Exit::Failed
    }
}

/// The policy named on the command line, or the only one.
fn chosen_policy<'c>(config: &'c Config, name: Option<&str>) -> Result<&'c NamedPolicy, String> {
    let names = || {
        config
            .settings
            .policies
            .iter()
            .map(|policy| policy.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, config.settings.policies.as_slice()) {
        (_, []) => Err(format!(
            "no [[policies]] in {}: name what the API accepts there (README.md, \"Explain an access decision\")",
            jwtlens_settings::CONFIG_FILE
        )),
        (Some(name), _) => config
            .policy(name)
            .ok_or_else(|| format!("no policy {name:?} (policies: {})", names())),
        (None, [only]) => Ok(only),
        (None, _) => Err(format!("say which policy with --policy ({})", names())),
    }
}

/// The signature checked with keys fetched now: the policy's `jwks_url`, labelled
/// workspace-configured when the repository's `.jwtlens.toml` named it, else the issuer's.
fn online_signature(
    report: &TokenReport,
    input: &[u8],
    config: &Config,
    policy: &NamedPolicy,
) -> Result<SignatureCheck, String> {
    let source = match &policy.keys.jwks_url {
        Some(url) => {
            let url = jwtlens_jwks::parse_configured_url(url)
                .map_err(|err| format!("policy {} keys.jwks_url: {err}", policy.name))?;
            let mut source = KeySource::from_url(url, format!("policy {}", policy.name));
            source.workspace_configured = config.repository_policy_jwks.contains(&policy.name);
            source
        }
        None => jwtlens_jwks::key_source_in(
            config,
            report.token.str_claim("iss"),
            report.facts.provider.as_ref().map(|p| p.id.as_str()),
        )
        .ok_or("--online: the policy has no keys.jwks_url and the token no https issuer to find keys from")?,
    };
    Ok(match fetch_and_verify(report, input, &source)? {
        RemoteOutcome::Verified {
            kid,
            url,
            workspace_configured,
            ..
        } => {
            let kid = kid.map(|kid| format!(" {kid}")).unwrap_or_default();
            SignatureCheck::Verified(format!(
                "key{kid} from {}",
                describe_key_set(&url, workspace_configured)
            ))
        }
        RemoteOutcome::Failed { reason } => SignatureCheck::Failed(reason),
    })
}

fn print_decision(decision: &Decision, format: Format) {
    match format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&decision.to_json()).unwrap_or_default();
            println!("{}", escape_controls_in_json(json));
        }
        Format::Human => {
            println!("{}", escape_controls(&decision.summary()));
            for line in decision.trace() {
                println!("  {}", escape_controls(&line));
            }
        }
    }
}
