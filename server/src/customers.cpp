// Customers (keyed by external_id; POST creates or updates, as Lago's does), applied
// coupons, wallets and wallet transactions. Wallet credits are exact decimals:
// balance_cents = credits × rate_amount × 10^exponent, e.g. 10.5 credits at 2.0 = 2100 cents.
// There is no payment flow here: purchased (paid) credits settle at once, like granted ones.
#include "billing.hpp"
#include "resources.hpp"
#include "serializers.hpp"
#include "webhooks.hpp"
#include "tariff/currency.hpp"
#include "tariff/decimal.hpp"
#include "tariff/rules.hpp"

namespace tariff::server {
namespace {

ordered_json load_customer_or_404(Transaction& tx, const std::string& external_id) {
  auto c = load_doc(tx, "customer", external_id);
  if (!c) throw not_found("customer");
  return *c;
}

// A credits or rate value given as a string or a JSON number (the exact reader keeps a
// fractional number's text), as an exact Decimal. Lago refuses a bad credit amount with
// {paid_credits: ["invalid_paid_credits", "invalid_amount"]} (Wallets::ValidateService).
Decimal decimal_field(const json& obj, const std::string& field, const char* fallback) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return *Decimal::parse(fallback);
  std::optional<Decimal> d;
  if (it->is_string()) d = Decimal::parse_lenient(it->get<std::string>());
  else if (it->is_number_integer()) d = Decimal::parse(it->dump());
  if (!d || d->is_negative()) {
    ordered_json details;
    details[field] = {"invalid_" + field, "invalid_amount"};
    throw validation_details(details);
  }
  return *d;
}

// Sets credits_balance and balance_cents from a credit count: the amount rounded to the
// currency's exponent, in its subunits (the engine's currency table; the wallet's currency was
// validated before).
void set_balance(ordered_json& wallet, const Decimal& credits) {
  const Decimal rate = *Decimal::parse(wallet["rate_amount"].get<std::string>());
  const auto money = rules::wallet_amount(credits, rate, string_or(wallet, "currency", "USD"));
  if (!money.ok()) throw HttpError{money.error.status, parse_stored(money.error.to_json())};
  wallet["credits_balance"] = credits.to_string();
  wallet["balance_cents"] = money.value->amount_cents;
  wallet["credits_ongoing_balance"] = credits.to_string();
  wallet["ongoing_balance_cents"] = money.value->amount_cents;
}

ordered_json make_transaction(Context& ctx, const ordered_json& wallet, const char* status,
                              const char* type, const Decimal& credits) {
  const Decimal rate = *Decimal::parse(wallet["rate_amount"].get<std::string>());
  ordered_json t;
  t["lago_id"] = ctx.ids.uuid();
  t["lago_wallet_id"] = wallet["lago_id"];
  t["status"] = "settled";
  t["transaction_status"] = status;
  t["transaction_type"] = type;
  const auto money = rules::wallet_amount(credits, rate, string_or(wallet, "currency", "USD"));
  if (!money.ok()) throw HttpError{money.error.status, parse_stored(money.error.to_json())};
  t["amount"] = money.value->amount.to_string();
  t["credit_amount"] = credits.to_string();
  t["settled_at"] = ctx.now;
  t["created_at"] = ctx.now;
  return t;
}

// Applies paid/granted/voided credits to a wallet inside tx; returns the new transactions.
ordered_json apply_credits(Context& ctx, Transaction& tx, ordered_json& wallet, const json& in) {
  const Decimal paid = decimal_field(in, "paid_credits", "0");
  const Decimal granted = decimal_field(in, "granted_credits", "0");
  const Decimal voided = decimal_field(in, "voided_credits", "0");
  Decimal credits = *Decimal::parse(string_or(wallet, "credits_balance", "0"));
  if (voided > credits + paid + granted) throw validation("voided_credits", "insufficient_credits");
  ordered_json list = ordered_json::array();
  if (paid.is_positive()) list.push_back(make_transaction(ctx, wallet, "purchased", "inbound", paid));
  if (granted.is_positive())
    list.push_back(make_transaction(ctx, wallet, "granted", "inbound", granted));
  if (voided.is_positive())
    list.push_back(make_transaction(ctx, wallet, "voided", "outbound", voided));
  set_balance(wallet, credits + paid + granted - voided);  // 10 + 5 paid + 2 granted − 1 = 16
  const std::string wallet_id = wallet["lago_id"].get<std::string>();
  for (const auto& t : list) save_doc(tx, "wallet_transaction", t["lago_id"], t, wallet_id);
  for (const auto& t : list) webhooks::wallet_transaction_created(ctx, tx, t["lago_id"].get<std::string>(), &wallet);  // wallet_transaction.created
  return list;
}

using Serialize = std::function<ordered_json(const ordered_json&, Transaction&)>;

Reply list_owned(Context& ctx, const std::string& kind, const std::string& plural,
                 std::optional<std::string> owner, const Serialize& serialize) {
  const Pagination p = parse_pagination(ctx.query());
  DocumentPage page;
  ordered_json items = ordered_json::array();
  ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
    page = tx.list(DocumentQuery{kind, owner, std::nullopt, p.offset(), p.per_page});
    for (const auto& d : page.items) items.push_back(serialize(parse_stored(d.body), tx));
  });
  return list_reply(plural, items, p, page.total);
}

ordered_json applied_coupon_listed(const ordered_json& a, Transaction&) {
  return serialize_applied_coupon(a, true);
}
ordered_json wallet_out(const ordered_json& w, Transaction&) { return serialize_wallet(w); }
ordered_json transaction_out(const ordered_json& t, Transaction& tx) {
  const auto w = load_doc(tx, "wallet", string_or(t, "lago_wallet_id", ""));
  return serialize_wallet_transaction(t, w.value_or(ordered_json::object()));
}

void add_customers(App& app) {
  app.add("POST", "/api/v1/customers", [](Context& ctx) {
    const json in = ctx.body_object("customer");
    const std::string ext = required_string(in, "external_id");
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = load_doc(tx, "customer", ext);
      const std::string settings_before = cur ? draft_settings(*cur) : std::string();
      if (cur) {
        out = *cur;
      } else {
        out["lago_id"] = ctx.ids.uuid();
        out["external_id"] = ext;
        out["created_at"] = ctx.now;
      }
      merge_fields(out, in);
      if (!out.contains("timezone")) out["timezone"] = nullptr;
      refuse_unless_valid(rules::Resource::customer, out, stored_context(tx, {"tax", "organization"}), ctx);
      identify_customer(tx, out, ctx.now, ctx.ids);
      save_doc(tx, "customer", ext, out, "", out["lago_id"].get<std::string>());
      if (cur && draft_settings(out) != settings_before) redate_drafts(ctx, tx, ext);  // grace period changed
      out = serialize_customer(out, tx);
    });
    return object_reply("customer", out);
  });
  app.add("GET", "/api/v1/customers/([^/]+)", [](Context& ctx) {
    ordered_json c;
    ctx.store.transact(Store::Mode::read, [&](Transaction& tx) {
      c = serialize_customer(load_customer_or_404(tx, ctx.params[0]), tx);
    });
    return object_reply("customer", c);
  });
  app.add("DELETE", "/api/v1/customers/([^/]+)", [](Context& ctx) {
    ordered_json c;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      c = load_customer_or_404(tx, ctx.params[0]);
      // Lago terminates a deleted customer's live subscriptions.
      auto subs = tx.list(DocumentQuery{"subscription", ctx.params[0], std::nullopt, 0, -1});
      for (const auto& d : subs.items) {
        ordered_json s = parse_stored(d.body);
        const std::string st = string_or(s, "status", "");
        if (st == "active" || st == "pending") {
          s["status"] = st == "active" ? "terminated" : "canceled";
          s[st == "active" ? "terminated_at" : "canceled_at"] = ctx.now;
          webhooks::subscription_saving(tx, s);  // subscription.terminated
          tx.put(Document{d.kind, d.key, d.owner, d.ref, s.dump()});
        }
      }
      c = serialize_customer(c, tx);
      tx.remove("customer", ctx.params[0]);
    });
    return object_reply("customer", c);
  });
  app.add("GET", "/api/v1/customers", [](Context& ctx) {
    return list_owned(ctx, "customer", "customers", std::nullopt,
                      [](const ordered_json& c, Transaction& tx) { return serialize_customer(c, tx); });
  });
}

void add_applied_coupons(App& app) {
  app.add("POST", "/api/v1/applied_coupons", [](Context& ctx) {
    const json in = ctx.body_object("applied_coupon");
    const std::string ext = required_string(in, "external_customer_id");
    const std::string code = required_string(in, "coupon_code");
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      const ordered_json customer = load_customer_or_404(tx, ext);
      auto coupon = load_doc(tx, "coupon", code);
      if (!coupon) throw not_found("coupon");
      if (string_or(*coupon, "status", "active") == "terminated")
        throw not_found("coupon");
      if (coupon->value("reusable", true) == false) {
        for (const auto& d : tx.list(DocumentQuery{"applied_coupon", ext, std::nullopt, 0, -1}).items) {
          const ordered_json a = parse_stored(d.body);
          if (string_or(a, "coupon_code", "") == code)
            throw validation("coupon", "coupon_is_not_reusable");
        }
      }
      out["lago_id"] = ctx.ids.uuid();
      out["lago_coupon_id"] = (*coupon)["lago_id"];
      out["coupon_code"] = code;
      out["coupon_name"] = coupon->value("name", code);
      out["lago_customer_id"] = customer["lago_id"];
      out["external_customer_id"] = ext;
      out["status"] = "active";
      // Coupon values unless the request overrides them (Lago allows it per customer).
      for (const char* f : {"amount_cents", "amount_currency", "percentage_rate", "frequency",
                            "frequency_duration"}) {
        if (in.contains(f)) out[f] = to_ordered(in[f]);
        else out[f] = coupon->contains(f) ? (*coupon)[f] : ordered_json(nullptr);
      }
      const bool fixed = string_or(*coupon, "coupon_type", "") == "fixed_amount";
      out["amount_cents_remaining"] = fixed ? out["amount_cents"] : ordered_json(nullptr);
      out["frequency_duration_remaining"] =
          string_or(out, "frequency", "") == "recurring" ? out["frequency_duration"]
                                                         : ordered_json(nullptr);
      out["expiration_at"] = coupon->contains("expiration_at") ? (*coupon)["expiration_at"]
                                                               : ordered_json(nullptr);
      out["created_at"] = ctx.now;
      out["terminated_at"] = nullptr;
      ordered_json applied = *coupon;  // the coupon with this customer's overrides
      for (const char* f : {"amount_cents", "amount_currency", "percentage_rate", "frequency",
                            "frequency_duration"})
        if (in.contains(f)) applied[f] = out[f];
      refuse_unless_valid(rules::Resource::coupon, applied, json::object(), ctx);
      save_doc(tx, "applied_coupon", out["lago_id"], out, ext);
    });
    return object_reply("applied_coupon", serialize_applied_coupon(out, false));
  });
  app.add("GET", "/api/v1/applied_coupons", [](Context& ctx) {
    return list_owned(ctx, "applied_coupon", "applied_coupons",
                      ctx.query_value("external_customer_id"), applied_coupon_listed);
  });
  app.add("GET", "/api/v1/customers/([^/]+)/applied_coupons", [](Context& ctx) {
    return list_owned(ctx, "applied_coupon", "applied_coupons", ctx.params[0],
                      applied_coupon_listed);
  });
  app.add("DELETE", "/api/v1/customers/([^/]+)/applied_coupons/([^/]+)", [](Context& ctx) {
    ordered_json a;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      load_customer_or_404(tx, ctx.params[0]);
      auto cur = load_doc(tx, "applied_coupon", ctx.params[1]);
      if (!cur || string_or(*cur, "external_customer_id", "") != ctx.params[0])
        throw not_found("applied_coupon");
      a = *cur;
      a["status"] = "terminated";
      a["terminated_at"] = ctx.now;
      save_doc(tx, "applied_coupon", ctx.params[1], a, ctx.params[0]);
    });
    return object_reply("applied_coupon", serialize_applied_coupon(a, false));
  });
}

void add_wallets(App& app) {
  app.add("POST", "/api/v1/wallets", [](Context& ctx) {
    const json in = ctx.body_object("wallet");
    const std::string ext = required_string(in, "external_customer_id");
    ordered_json out;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      const ordered_json customer = load_customer_or_404(tx, ext);
      out["lago_id"] = ctx.ids.uuid();
      out["lago_customer_id"] = customer["lago_id"];
      out["external_customer_id"] = ext;
      out["status"] = "active";
      out["currency"] = in.contains("currency") ? to_ordered(in["currency"])
                                                : ordered_json(string_or(customer, "currency", "USD"));
      out["name"] = in.value("name", json(nullptr));
      out["rate_amount"] = in.contains("rate_amount") && !in["rate_amount"].is_null()
                               ? to_ordered(in["rate_amount"])
                               : ordered_json("1");
      out["priority"] = in.value("priority", json(50));
      out["applies_to"] = in.contains("applies_to") ? to_ordered(in["applies_to"])
                                                    : ordered_json(nullptr);
      out["expiration_at"] = in.value("expiration_at", json(nullptr));
      out["consumed_credits"] = "0.0";
      out["created_at"] = ctx.now;
      out["terminated_at"] = nullptr;
      json context = json::object();
      context["customer"] = exact_json(customer);
      refuse_unless_valid(rules::Resource::wallet, out, context, ctx);
      // Valid, hence a positive decimal: stored as Lago prints it ("2.5")
      out["rate_amount"] = decimal_field(in, "rate_amount", "1").to_string();
      set_balance(out, *Decimal::parse("0"));
      apply_credits(ctx, tx, out, in);
      save_doc(tx, "wallet", out["lago_id"], out, ext);
    });
    return object_reply("wallet", serialize_wallet(out));
  });
  app.add("GET", "/api/v1/wallets", [](Context& ctx) {
    auto ext = ctx.query_value("external_customer_id");
    if (!ext) throw validation("external_customer_id", "value_is_mandatory");
    return list_owned(ctx, "wallet", "wallets", ext, wallet_out);
  });
  app.add("GET", "/api/v1/wallets/([^/]+)", [](Context& ctx) {
    std::optional<ordered_json> w;
    ctx.store.transact(Store::Mode::read,
                       [&](Transaction& tx) { w = load_doc(tx, "wallet", ctx.params[0]); });
    if (!w) throw not_found("wallet");
    return object_reply("wallet", serialize_wallet(*w));
  });
  app.add("PUT", "/api/v1/wallets/([^/]+)", [](Context& ctx) {
    const json in = ctx.body_object("wallet");
    ordered_json w;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = load_doc(tx, "wallet", ctx.params[0]);
      if (!cur) throw not_found("wallet");
      w = *cur;
      for (const char* f : {"name", "priority", "applies_to", "expiration_at"})
        if (in.contains(f)) w[f] = to_ordered(in[f]);
      refuse_unless_valid(rules::Resource::wallet, w, json::object(), ctx);
      save_doc(tx, "wallet", ctx.params[0], w, string_or(w, "external_customer_id", ""));
    });
    return object_reply("wallet", serialize_wallet(w));
  });
  app.add("DELETE", "/api/v1/wallets/([^/]+)", [](Context& ctx) {
    ordered_json w;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = load_doc(tx, "wallet", ctx.params[0]);
      if (!cur) throw not_found("wallet");
      w = *cur;
      w["status"] = "terminated";
      w["terminated_at"] = ctx.now;
      save_doc(tx, "wallet", ctx.params[0], w, string_or(w, "external_customer_id", ""));
    });
    return object_reply("wallet", serialize_wallet(w));
  });
  app.add("POST", "/api/v1/wallet_transactions", [](Context& ctx) {
    const json in = ctx.body_object("wallet_transaction");
    const std::string id = required_string(in, "wallet_id");
    ordered_json list;
    ctx.store.transact(Store::Mode::write, [&](Transaction& tx) {
      auto cur = load_doc(tx, "wallet", id);
      if (!cur) throw not_found("wallet");
      ordered_json w = *cur;
      if (string_or(w, "status", "") != "active") throw validation("wallet", "is_not_active");
      list = apply_credits(ctx, tx, w, in);
      save_doc(tx, "wallet", id, w, string_or(w, "external_customer_id", ""));
      for (auto& t : list) t = serialize_wallet_transaction(t, w);
    });
    ordered_json d;
    d["wallet_transactions"] = list;
    return json_reply(d);
  });
  app.add("GET", "/api/v1/wallets/([^/]+)/wallet_transactions", [](Context& ctx) {
    return list_owned(ctx, "wallet_transaction", "wallet_transactions", ctx.params[0],
                      transaction_out);
  });
}

}  // namespace

void add_customer_routes(App& app) {
  add_customers(app);
  add_applied_coupons(app);
  add_wallets(app);
}

}  // namespace tariff::server
