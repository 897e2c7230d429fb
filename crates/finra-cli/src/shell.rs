//! `finra completions SHELL` and `finra man`: the shell completion script and the man page,
//! generated from the command's own definition, printed to stdout.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

/// `finra completions bash|zsh|fish|elvish|powershell`.
pub(crate) fn completions<C: CommandFactory>(
    shell: clap_complete::Shell,
) -> anyhow::Result<ExitCode> {
    let mut command = C::command();
    let name = command.get_name().to_owned();
    // Into memory first: the generator panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}

/// `finra man`: the man page (roff), e.g. `finra man > finra.1`.
pub(crate) fn man<C: CommandFactory>() -> anyhow::Result<ExitCode> {
    let mut page = Vec::new();
    clap_mangen::Man::new(C::command()).render(&mut page)?;
    std::io::stdout().lock().write_all(&page)?;
    Ok(ExitCode::SUCCESS)
}
