// `tariff impact --plans NEW.json SNAPSHOT... [--format json|table] [--jobs N]`: every
// customer snapshot priced with its plans and with NEW.json's (tariff/impact.hpp), the
// report on stdout, exit 0. A SNAPSHOT may be a directory (its *.json, sorted). Bad input
// (NEW.json, any snapshot, mixed currencies): the error document, paths prefixed with
// `snapshots[i].` for a snapshot, exit 2. Customers are priced on up to --jobs threads
// (default: the machine's cores); rows stay in input order.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <thread>

#include "check.hpp"
#include "tariff/impact.hpp"

namespace tariff::cli {
namespace {

namespace fs = std::filesystem;

int usage(std::ostream& err) {
  err << "usage: tariff impact --plans NEW.json SNAPSHOT... [--format json|table] [--jobs N]\n";
  return 64;
}

int fail(std::ostream& out, const Error& e) {
  out << e.to_json() << "\n";
  return 2;
}

std::string signed_cents(int64_t v) { return (v > 0 ? "+" : "") + std::to_string(v); }

void print_table(std::ostream& out, const std::vector<CustomerImpact>& rows,
                 const nlohmann::ordered_json& summary) {
  const std::vector<std::string> head = {"external_customer_id", "old_total_amount_cents",
                                         "new_total_amount_cents", "delta_amount_cents"};
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows)
    cells.push_back({r.external_customer_id.value_or("(new customer)"),
                     std::to_string(r.old_total_amount_cents),
                     std::to_string(r.new_total_amount_cents), signed_cents(r.delta_amount_cents())});
  const auto n = [&](const char* k) { return summary[k].get<int64_t>(); };
  cells.push_back({"total (" + std::to_string(n("customers")) + ": " +
                       std::to_string(n("increased")) + " increased, " +
                       std::to_string(n("decreased")) + " decreased, " +
                       std::to_string(n("unchanged")) + " unchanged)",
                   std::to_string(n("old_total_amount_cents")),
                   std::to_string(n("new_total_amount_cents")),
                   signed_cents(n("delta_amount_cents"))});
  std::vector<size_t> width;
  for (const auto& h : head) width.push_back(h.size());
  for (const auto& row : cells)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& row) {
    out << std::left << std::setw(static_cast<int>(width[0])) << row[0];
    for (size_t i = 1; i < row.size(); ++i)
      out << "  " << std::right << std::setw(static_cast<int>(width[i])) << row[i];
    out << "\n";
  };
  line(head);
  std::string rule;
  for (size_t i = 0; i < width.size(); ++i) rule += std::string(width[i], '-') + (i + 1 < width.size() ? "  " : "");
  out << rule << "\n";
  for (size_t i = 0; i + 1 < cells.size(); ++i) line(cells[i]);
  out << rule << "\n";
  line(cells.back());
  if (!rows.empty()) out << "amounts in " << rows[0].currency << " cents\n";
}

}  // namespace

int impact_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options opts;
  if (!parse_options(args, {"--plans", "--format"}, &opts)) return usage(err);
  if (opts.help) {
    usage(err);
    return 0;
  }
  std::optional<std::string> plans_path;
  if (opts.values.count("--plans")) plans_path = opts.values["--plans"];
  const std::string format = opts.values.count("--format") ? opts.values["--format"] : "json";
  const std::vector<std::string>& paths = opts.paths;
  const unsigned jobs = opts.jobs;
  if (!plans_path || paths.empty() || (format != "json" && format != "table")) return usage(err);

  std::string text;
  if (!read_file(*plans_path, &text)) {
    err << "tariff impact: cannot read " << *plans_path << "\n";
    return 66;
  }
  const PlanChangeParse change = parse_plan_change(text);
  if (change.error) return fail(out, *change.error);

  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(p, ec))
        if (e.is_regular_file() && e.path().extension() == ".json")
          found.push_back(e.path().generic_string());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }

  std::vector<ImpactOutcome> outcomes(files.size());
  std::vector<char> readable(files.size(), 1);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    std::string snapshot;
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      if (!read_file(files[i], &snapshot)) {
        readable[i] = 0;
        continue;
      }
      outcomes[i] = price_change(snapshot, *change.change);
    }
  };
  const unsigned n = static_cast<unsigned>(std::min<size_t>(jobs, files.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  std::optional<Error> error;  // every snapshot's problems in one document
  std::vector<CustomerImpact> rows;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string at = "snapshots[" + std::to_string(i) + "]";
    if (!readable[i]) {
      err << "tariff impact: cannot read " << files[i] << "\n";
      return 66;
    }
    if (outcomes[i].error) {
      const Error& e = *outcomes[i].error;
      err << "tariff impact: " << files[i] << ": " << e.code << "\n";
      if (!error) {
        error = e;
        error->details.clear();
      }
      if (e.details.empty()) error->details[at].push_back(e.code);
      for (const auto& [path, codes] : e.details)
        for (const auto& c : codes) error->details[at + "." + path].push_back(c);
      continue;
    }
    rows.push_back(*outcomes[i].impact);
  }
  if (error) return fail(out, *error);

  const Result report = impact_report(rows);
  if (!report.ok() || format == "json") {
    out << report.body << "\n";
    return report.ok() ? 0 : 2;
  }
  print_table(out, rows, impact_summary_json(rows));
  return 0;
}

}  // namespace tariff::cli
