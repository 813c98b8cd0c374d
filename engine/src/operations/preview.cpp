// preview (CONTRACT §2, SEMANTICS §12): the whole invoice Lago would issue, as
// {"invoices": [Invoice]}: the context of the request, then the invoice pipeline that `bill`
// shares (invoice/pipeline.hpp). Nothing is consumed.
#include "core/json_write.hpp"
#include "invoice/pipeline.hpp"
#include "operations/operations.hpp"

namespace tariff::ops {

ordered_json preview(json& doc) {
  const Snapshot s = parse_snapshot(doc, RequestKind::preview);
  const PreviewContext ctx = build_preview_context(s);
  const ComputedInvoice inv = compute_invoice(s, ctx);
  // The invoice written straight to text (the same bytes as its tree): nothing reads it back.
  std::string text;
  {
    JsonText w(text);
    write_invoice_json(w, s, ctx, inv);
  }
  ordered_json out;
  out["invoices"] = ordered_json::array({raw_json(text)});
  return out;
}

}  // namespace tariff::ops
