//! nginx in front of several hub instances, as `finhub demo --instances N` runs it when nginx is
//! installed: a `stream` (TCP) balancer that passes connections through untouched — TLS and
//! client certificates included — and opens each with a PROXY protocol v2 header carrying the
//! client's address; and nginx as an HTTP reverse proxy in front of one upstream, the
//! benchmarks' yardstick for the hub's own proxy hop. Its config, pid and logs live in a
//! directory of its own.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// Where Debian keeps nginx's dynamically loaded stream module.
const STREAM_MODULE: &str = "/usr/lib/nginx/modules/ngx_stream_module.so";

/// A running nginx balancing TCP over the instances; stopped when dropped.
#[derive(Debug)]
pub struct NginxStream {
    process: Child,
    listen: SocketAddr,
    dir: PathBuf,
}

impl NginxStream {
    /// The nginx binary, if one is installed.
    pub fn installed() -> Option<PathBuf> {
        [
            "/usr/sbin/nginx",
            "/usr/local/sbin/nginx",
            "/usr/local/nginx/sbin/nginx",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
    }

    /// Starts nginx on `listen` in front of `instances` (round robin), with `worker_processes`
    /// workers, its files under `dir`; waits (at most ten seconds) until it accepts.
    pub fn start(
        nginx: &Path,
        listen: SocketAddr,
        instances: &[SocketAddr],
        worker_processes: usize,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let text = config_text(listen, instances, worker_processes, dir);
        Self::launch(Command::new(nginx), listen, dir, &text)
    }

    /// Starts nginx as an HTTP reverse proxy on `listen` in front of `upstream` (`proxy_pass`
    /// over kept-alive HTTP/1.1 connections), with `worker_processes` workers and answers passed
    /// on as `buffering` says: the benchmarks' yardstick for the hub's own proxy hop. `nginx` is
    /// the command that runs it — the binary, or a profiler with the binary as its last
    /// argument — to which the config's arguments are added.
    pub fn start_http_proxy(
        nginx: Command,
        listen: SocketAddr,
        upstream: SocketAddr,
        worker_processes: usize,
        buffering: Buffering,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let temp = dir.join("temp");
        std::fs::create_dir_all(&temp)
            .with_context(|| format!("cannot create {}", temp.display()))?;
        let text = http_proxy_config_text(listen, upstream, worker_processes, buffering, dir);
        Self::launch(nginx, listen, dir, &text)
    }

    /// Runs `nginx` with `text` as its config, its files under `dir`, until it accepts.
    fn launch(
        mut nginx: Command,
        listen: SocketAddr,
        dir: &Path,
        text: &str,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let config = dir.join("nginx.conf");
        std::fs::write(&config, text)
            .with_context(|| format!("cannot write {}", config.display()))?;
        let program = nginx.get_program().to_owned();
        let process = nginx
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&config)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let mut balancer = Self {
            process,
            listen,
            dir: dir.to_owned(),
        };
        balancer.wait_until_accepting()?;
        Ok(balancer)
    }

    /// Where it listens.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The process ids of nginx's master and its workers (for reading their CPU time).
    pub fn process_ids(&self) -> Vec<u32> {
        let master = self.process.id();
        let children = std::fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
            .unwrap_or_default();
        std::iter::once(master)
            .chain(
                children
                    .split_whitespace()
                    .filter_map(|pid| pid.parse().ok()),
            )
            .collect()
    }

    fn wait_until_accepting(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.process.try_wait()? {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                anyhow::bail!("nginx exited ({status}) before accepting: {}", log.trim());
            }
            if TcpStream::connect_timeout(&self.listen, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "nginx did not accept on {} within ten seconds",
                self.listen
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NginxStream {
    fn drop(&mut self) {
        // A fast shutdown of the master and its workers (SIGTERM), then reap it.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.process.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The config: the stream module, `worker_processes`, and one TCP server passing connections to
/// the instances with a PROXY protocol header.
fn config_text(
    listen: SocketAddr,
    instances: &[SocketAddr],
    worker_processes: usize,
    dir: &Path,
) -> String {
    let load_module = if Path::new(STREAM_MODULE).exists() {
        format!("load_module {STREAM_MODULE};\n")
    } else {
        String::new()
    };
    let servers: String = instances
        .iter()
        .map(|instance| format!("        server {instance};\n"))
        .collect();
    format!(
        "{load_module}daemon off;\n\
         master_process on;\n\
         worker_processes {worker_processes};\n\
         pid {pid};\n\
         error_log {log} warn;\n\
         events {{ worker_connections 4096; }}\n\
         stream {{\n    \
             upstream finhub {{\n{servers}    }}\n    \
             server {{\n        \
                 listen {listen} reuseport;\n        \
                 proxy_pass finhub;\n        \
                 proxy_protocol on;\n        \
                 proxy_connect_timeout 2s;\n    \
             }}\n\
         }}\n",
        pid = dir.join("nginx.pid").display(),
        log = dir.join("error.log").display(),
    )
}

/// How nginx as an HTTP reverse proxy passes answers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffering {
    /// nginx's defaults: each answer read into small (4–8 KiB) buffers, spilling to temporary
    /// files when the client reads slower than the upstream sends.
    Default,
    /// Each answer passed on as it arrives (`proxy_buffering off`), read in 256 KiB buffers:
    /// nginx set up for large streamed bodies.
    Streaming,
}

/// The config of an HTTP reverse proxy: `worker_processes`, no access log, temporary files
/// under `dir`, and one server passing every request to `upstream` over kept-alive connections,
/// answers buffered as `buffering` says.
fn http_proxy_config_text(
    listen: SocketAddr,
    upstream: SocketAddr,
    worker_processes: usize,
    buffering: Buffering,
    dir: &Path,
) -> String {
    let temp = dir.join("temp");
    let buffering = match buffering {
        Buffering::Default => "",
        // nginx checks the busy size against the buffers even with buffering off.
        Buffering::Streaming => {
            "\n            proxy_buffering off;\n            proxy_buffer_size 256k;\n            \
             proxy_buffers 4 256k;\n            proxy_busy_buffers_size 256k;"
        }
    };
    // `user root`: started by root, the workers stay root instead of becoming `nobody`, so a
    // profiler can attach to them (nginx ignores it, with a warning, for any other user).
    format!(
        "daemon off;\n\
         master_process on;\n\
         user root;\n\
         worker_processes {worker_processes};\n\
         pid {pid};\n\
         error_log {log} warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n    \
             access_log off;\n    \
             client_body_temp_path {temp}/body;\n    \
             proxy_temp_path {temp}/proxy;\n    \
             fastcgi_temp_path {temp}/fastcgi;\n    \
             uwsgi_temp_path {temp}/uwsgi;\n    \
             scgi_temp_path {temp}/scgi;\n    \
             upstream origin {{\n        \
                 server {upstream};\n        \
                 keepalive 128;\n    \
             }}\n    \
             server {{\n        \
                 listen {listen} reuseport;\n        \
                 location / {{\n            \
                     proxy_pass http://origin;\n            \
                     proxy_http_version 1.1;\n            \
                     proxy_set_header Connection \"\";{buffering}\n        \
                 }}\n    \
             }}\n\
         }}\n",
        pid = dir.join("nginx.pid").display(),
        log = dir.join("error.log").display(),
        temp = temp.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_passes_tcp_through_to_every_instance_with_a_proxy_header() {
        let instances: Vec<SocketAddr> = vec![
            "127.0.0.1:9001".parse().expect("addr"),
            "127.0.0.1:9002".parse().expect("addr"),
        ];
        let text = config_text(
            "127.0.0.1:8080".parse().expect("addr"),
            &instances,
            2,
            Path::new("/tmp/b"),
        );
        assert!(
            text.contains("server 127.0.0.1:9001;\n        server 127.0.0.1:9002;"),
            "{text}"
        );
        assert!(text.contains("listen 127.0.0.1:8080 reuseport;"), "{text}");
        assert!(text.contains("proxy_protocol on;"), "{text}");
        assert!(text.contains("worker_processes 2;"), "{text}");
        assert!(text.contains("pid /tmp/b/nginx.pid;"), "{text}");
    }

    #[test]
    fn a_streaming_http_proxy_passes_answers_on_unbuffered_and_the_default_keeps_nginx_defaults() {
        let config = |buffering| {
            http_proxy_config_text(
                "127.0.0.1:8080".parse().expect("addr"),
                "127.0.0.1:9001".parse().expect("addr"),
                2,
                buffering,
                Path::new("/tmp/b"),
            )
        };
        let streaming = config(Buffering::Streaming);
        assert!(streaming.contains("proxy_buffering off;"), "{streaming}");
        assert!(streaming.contains("proxy_buffer_size 256k;"), "{streaming}");
        let default = config(Buffering::Default);
        assert!(!default.contains("proxy_buffer"), "{default}");
        for text in [&streaming, &default] {
            assert!(text.contains("proxy_pass http://origin;"), "{text}");
            assert!(text.contains("keepalive 128;"), "{text}");
        }
    }
}
