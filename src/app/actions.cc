#include "app/actions.h"

namespace foresight::app {

std::vector<std::string> ActionsFor(std::string_view metric) {
  auto has = [&](std::string_view s) { return metric.find(s) != std::string_view::npos; };
  if (has("memory") || has("swap")) {
    return {"Find the process whose resident memory keeps growing (ps -eo pid,rss,cmd --sort=-rss | head)",
            "Restart the leaking service during a quiet period and capture a heap profile first",
            "As a stopgap, raise the memory limit or add swap headroom"};
  }
  if (has("disk") || has("inode")) {
    return {"Find what is growing: du -xh --max-depth=2 / | sort -h | tail",
            "Rotate or compress logs, prune old artifacts and caches",
            "Extend the volume before it reaches 100 %"};
  }
  if (has("connection") || has("db_conn")) {
    return {"List idle-in-transaction sessions and their clients (pg_stat_activity)",
            "Check the application's pool for leaked connections (unreturned after errors)",
            "Raise max_connections or add a pooler (PgBouncer) as a stopgap"};
  }
  if (has("cpu") || has("load")) {
    return {"Find the hottest processes (top -o %CPU) and what changed (deploys, cron jobs)",
            "Profile the runaway process (perf top -p PID) or restart it",
            "Scale out or throttle the offending workload"};
  }
  if (has("response_time") || has("latency")) {
    return {"Compare latency by endpoint and dependency to find the slow hop",
            "Check saturation of the service's CPU, DB pool and downstream calls",
            "Roll back the latest deploy if the degradation started with it"};
  }
  if (has("error")) {
    return {"Read the newest error logs of the entity for the dominant exception",
            "Check downstream dependencies and recent deploys or config changes",
            "Roll back or fail over if the error rate keeps rising"};
  }
  if (has("fd") || has("file")) {
    return {"Find the process holding the most descriptors (ls /proc/*/fd | wc -l per PID)",
            "Fix the descriptor leak or raise the limit (ulimit -n, fs.file-max)"};
  }
  if (has("net") || has("tcp")) {
    return {"Check interface errors and drops (ip -s link) and the TCP states (ss -s)",
            "Look for retransmits or a saturated link"};
  }
  return {"Open the entity's charts and compare the top contributing metrics with their normal range",
          "Check recent deploys, configuration changes and dependencies of the entity"};
}

}  // namespace foresight::app
