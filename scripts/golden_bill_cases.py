#!/usr/bin/env python3
"""Writes tests/golden/bill/**: the `bill` operation's golden cases (docs/billing.md).

The snapshots are assembled here to keep them short and alike; every `expected` value below is
worked by hand (the arithmetic is in each case's `source`), never read from the engine.
Run from the repository root: python3 scripts/golden_bill_cases.py
"""
import json
import os

OUT = os.path.join("tests", "golden", "bill")
CALLS = {"billable_metric_code": "calls", "charge_model": "standard", "properties": {"amount": "2"}}


def plan(code, interval="monthly", amount=3100, advance=False, charges=None, **kw):
    p = {"code": code, "name": code, "interval": interval, "amount_cents": amount, "amount_currency": "USD",
         "pay_in_advance": advance, "trial_period": 0, "charges": [CALLS] if charges is None else charges}
    p.update(kw)
    return p


def sub(plan_code, at, billing_time="calendar", status="active", id="sub_1", **kw):
    d = {"external_id": id, "external_customer_id": "cust_1", "plan_code": plan_code, "billing_time": billing_time,
         "subscription_at": at, "started_at": None if status == "pending" else at, "status": status}
    d.update(kw)
    return d


def ev(i, ts, code="calls", sub_id="sub_1", **props):
    return {"transaction_id": "e%s" % i, "external_subscription_id": sub_id, "code": code, "timestamp": ts,
            "properties": props}


def snap(now, subs, plans, events, request, tz=None, org_taxes=(), **kw):
    s = {"now": now,
         "organization": {"timezone": "UTC", "default_currency": "USD", "tax_codes": list(org_taxes)},
         "taxes": [{"code": "vat20", "name": "VAT 20%", "rate": 20.0}],
         "billable_metrics": [{"code": "calls", "name": "Calls", "aggregation_type": "count_agg"}],
         "plans": plans, "coupons": [],
         "customer": {"external_id": "cust_1", "name": "Acme", "currency": "USD", "timezone": tz},
         "subscriptions": subs, "applied_coupons": [], "wallets": [], "credit_notes": [], "events": events,
         "request": request}
    s.update(kw)
    return s


def periodic(at, ids=("sub_1",)):
    return {"invoicing_reason": "subscription_periodic", "billing_at": at, "external_subscription_ids": list(ids)}


def fee(kind, cents, **kw):
    f = {"item": {"type": kind}, "amount_cents": cents}
    f.update(kw)
    return f


def totals(fees, coupons=0, taxes=0, notes=0, prepaid=0):
    sub_ex = fees - coupons
    total = sub_ex + taxes - notes - prepaid
    return {"fees_amount_cents": fees, "coupons_amount_cents": coupons,
            "sub_total_excluding_taxes_amount_cents": sub_ex, "taxes_amount_cents": taxes,
            "sub_total_including_taxes_amount_cents": sub_ex + taxes, "credit_notes_amount_cents": notes,
            "prepaid_credit_amount_cents": prepaid, "total_amount_cents": total, "total_due_amount_cents": total}


CASES = {}


def case(path, name, source, snapshot, expected=None, error=None):
    d = {"name": name, "source": source, "snapshot": snapshot}
    if error is not None:
        d["error"] = error
    else:
        d["expected"] = expected
    CASES[path] = d


def invoice(issuing, lines, due=None, **tot):
    inv = {"lago_id": None, "sequential_id": None, "number": None, "invoice_type": "subscription",
           "status": "finalized", "issuing_date": issuing, "payment_due_date": due or issuing, "fees": lines}
    inv.update(totals(**tot))
    return inv


NO_CHANGES = {"applied_coupons": [], "wallets": [], "wallet_transactions": [], "credit_notes": [],
              "subscriptions": []}

# ---- periodic --------------------------------------------------------------------------------

case("periodic/monthly_arrears_calendar",
     "monthly plan in arrears, calendar: the closed month's fee and usage, with the organization's tax",
     "B = 2024-04-01 (calendar month end + 1 day). March fee 3100 (started 01-10: not the first period, full); "
     "calls 03-02 and 03-20 = 2 x 2.00 = 400 (the 04-01 00:00:01 event belongs to April). Fees 3500; "
     "VAT 20 % = 700; total 4200. Issuing date = B's day (grace 0), due the same day (net term 0).",
     snap("2024-04-01T00:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-02T10:00:00Z"), ev(2, "2024-03-20T10:00:00Z"), ev(3, "2024-04-01T00:00:01Z"),
           ev(4, "2024-02-29T23:59:59Z")],
          periodic("2024-04-01T00:00:00Z"), org_taxes=["vat20"]),
     {"invoices": [invoice("2024-04-01",
                           [fee("subscription", 3100, from_date="2024-03-01T00:00:00Z", to_date="2024-03-31T23:59:59Z",
                                external_subscription_id="sub_1"),
                            fee("charge", 400, units="2.0", events_count=2)],
                           fees=3500, taxes=700)],
      "invoice_subscriptions": [{"external_subscription_id": "sub_1", "invoicing_reason": "subscription_periodic",
                                 "timestamp": "2024-04-01T00:00:00Z", "from_datetime": "2024-03-01T00:00:00Z",
                                 "to_datetime": "2024-03-31T23:59:59Z"}],
      "already_billed": [], "changes": NO_CHANGES})

case("periodic/monthly_advance_anniversary",
     "monthly plan in advance, anniversary: next period's fee with the closed period's usage",
     "Anniversary on the 15th: B = 2024-04-15. Advance fee for 04-15..05-14 = 3100 (full); usage of "
     "03-15..04-14: calls 03-20 and 04-10 = 400 (03-14 and 04-15 01:00 are outside). Fees 3500, total 3500.",
     snap("2024-04-15T00:00:05Z", [sub("m_adv", "2024-01-15T00:00:00Z", "anniversary")],
          [plan("m_adv", advance=True)],
          [ev(1, "2024-03-14T10:00:00Z"), ev(2, "2024-03-20T10:00:00Z"), ev(3, "2024-04-10T10:00:00Z"),
           ev(4, "2024-04-15T01:00:00Z")],
          periodic("2024-04-15T00:00:00Z")),
     {"invoices": [invoice("2024-04-15",
                           [fee("subscription", 3100, from_date="2024-04-15T00:00:00Z", to_date="2024-05-14T23:59:59Z",
                                pay_in_advance=True),
                            fee("charge", 400, from_date="2024-03-15T00:00:00Z", to_date="2024-04-14T23:59:59Z")],
                           fees=3500)],
      "changes": NO_CHANGES})

case("periodic/weekly_arrears_calendar",
     "weekly plan in arrears, calendar weeks (Monday to Sunday)",
     "B = Monday 2024-03-18: week 03-11..03-17, fee 700 (started 03-06: not the first week); calls 03-12 and "
     "03-17 23:00 = 400 (03-10 is the week before, 03-18 the next). Fees 1100.",
     snap("2024-03-18T00:00:05Z", [sub("w_arr", "2024-03-06T00:00:00Z")], [plan("w_arr", "weekly", 700)],
          [ev(1, "2024-03-10T10:00:00Z"), ev(2, "2024-03-12T10:00:00Z"), ev(3, "2024-03-17T23:00:00Z"),
           ev(4, "2024-03-18T00:30:00Z")],
          periodic("2024-03-18T00:00:00Z")),
     {"invoices": [invoice("2024-03-18",
                           [fee("subscription", 700, from_date="2024-03-11T00:00:00Z", to_date="2024-03-17T23:59:59Z"),
                            fee("charge", 400, events_count=2)],
                           fees=1100)]})

case("periodic/yearly_advance_monthly_charges",
     "yearly plan in advance billing its charges monthly: a month inside the year bills only February's usage",
     "bill_charges_monthly, calendar year started 2023-01-01; B = 2024-03-01 is not a yearly boundary: no "
     "subscription fee (paid on 2024-01-01), charges of 02-01..02-29: calls 02-20 and 02-29 23:00 = 400 "
     "(01-31 and 03-01 00:00:01 outside). Fees 400.",
     snap("2024-03-01T00:00:05Z", [sub("y_adv", "2023-01-01T00:00:00Z")],
          [plan("y_adv", "yearly", 120000, advance=True, bill_charges_monthly=True)],
          [ev(1, "2024-01-31T10:00:00Z"), ev(2, "2024-02-20T10:00:00Z"), ev(3, "2024-02-29T23:00:00Z"),
           ev(4, "2024-03-01T00:00:01Z")],
          periodic("2024-03-01T00:00:00Z")),
     {"invoices": [invoice("2024-03-01",
                           [fee("charge", 400, from_date="2024-02-01T00:00:00Z", to_date="2024-02-29T23:59:59Z")],
                           fees=400)],
      "invoice_subscriptions": [{"charges_from_datetime": "2024-02-01T00:00:00Z",
                                 "charges_to_datetime": "2024-02-29T23:59:59Z"}]})

case("periodic/yearly_advance_monthly_charges_new_year",
     "yearly plan in advance billing its charges monthly, at the yearly boundary: the year's fee and December's usage",
     "B = 2025-01-01: advance fee for 2025 = 120000 (full); charges of 2024-12-01..12-31: 1 call = 200. "
     "Fees 120200.",
     snap("2025-01-01T00:00:05Z", [sub("y_adv", "2023-01-01T00:00:00Z")],
          [plan("y_adv", "yearly", 120000, advance=True, bill_charges_monthly=True)],
          [ev(1, "2024-11-30T10:00:00Z"), ev(2, "2024-12-20T10:00:00Z")],
          periodic("2025-01-01T00:00:00Z")),
     {"invoices": [invoice("2025-01-01",
                           [fee("subscription", 120000, from_date="2025-01-01T00:00:00Z",
                                to_date="2025-12-31T23:59:59Z"),
                            fee("charge", 200, from_date="2024-12-01T00:00:00Z", to_date="2024-12-31T23:59:59Z")],
                           fees=120200)]})

case("periodic/trial_first_period",
     "a trial covering the whole first period: no subscription fee, usage billed",
     "Started 2024-03-10, 30-day trial (ends 04-09): March 10..31 is all trial -> fee 0; calls 03-15 = 200. "
     "Fees 200.",
     snap("2024-04-01T00:00:05Z", [sub("m_trial", "2024-03-10T00:00:00Z")],
          [plan("m_trial", trial_period=30)], [ev(1, "2024-03-15T10:00:00Z")],
          periodic("2024-04-01T00:00:00Z")),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 0), fee("charge", 200)], fees=200)]})

case("periodic/trial_ends_inside_period",
     "a trial ending inside the billed period: the fee runs from the trial's end",
     "Started 2024-03-10, 30-day trial ends 2024-04-09 00:00. April fee = days(04-09..04-30) = 22 of 30 x 3100 "
     "= 2273.33... -> 2273 (precise 22.733333333333333333 at 18 places). No usage. Fees 2273.",
     snap("2024-05-01T00:00:05Z", [sub("m_trial", "2024-03-10T00:00:00Z")],
          [plan("m_trial", trial_period=30)], [],
          periodic("2024-05-01T00:00:00Z")),
     {"invoices": [invoice("2024-05-01", [fee("subscription", 2273, precise_amount="22.733333333333333333")],
                           fees=2273)]})

case("periodic/scheduled_downgrade",
     "a downgrade at the period end: the old plan's last month, the new plan (in arrears) starts at B",
     "premium_arr 6200 with next_plan_code basic_arr (pending). B = 2024-04-01: March fee 6200 + 3 calls 600 = "
     "6800; basic_arr is paid in arrears: nothing of it yet. Changes: premium_arr terminated at the period's "
     "end, basic_arr active from B.",
     snap("2024-04-01T00:00:05Z",
          [sub("premium_arr", "2023-06-10T00:00:00Z", next_plan_code="basic_arr"),
           sub("basic_arr", "2023-06-10T00:00:00Z", status="pending")],
          [plan("premium_arr", amount=6200), plan("basic_arr")],
          [ev(1, "2024-03-02T10:00:00Z"), ev(2, "2024-03-05T10:00:00Z"), ev(3, "2024-03-30T10:00:00Z")],
          periodic("2024-04-01T00:00:00Z")),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 6200), fee("charge", 600)], fees=6800)],
      "invoice_subscriptions": [{"external_subscription_id": "sub_1", "plan_code": "premium_arr",
                                 "invoicing_reason": "subscription_terminating"}],
      "changes": {"subscriptions": [
          {"external_id": "sub_1", "plan_code": "premium_arr", "status": "terminated",
           "terminated_at": "2024-03-31T23:59:59Z"},
          {"external_id": "sub_1", "plan_code": "basic_arr", "status": "active", "started_at": "2024-04-01T00:00:00Z"}]}})

# ---- coupons and wallets ----------------------------------------------------------------------

COUPON_SNAP = dict(now="2024-04-01T00:00:05Z", subs=[sub("m_arr", "2024-01-10T00:00:00Z")], plans=[plan("m_arr")],
                   events=[ev(1, "2024-03-02T10:00:00Z"), ev(2, "2024-03-20T10:00:00Z")])

case("coupons/once_recurring_forever",
     "three applied coupons consumed by one invoice: once ends, recurring counts down, forever stays",
     "Fees 3100 + 400 = 3500. By application time: once fixed, 500 left of 1000 -> credit 500 (3000 left), "
     "terminated (credit >= remaining); recurring 10 % with 3 periods left -> 10 % of 3000 = 300 (2700 left), "
     "2 periods left; forever fixed 300 -> 300 (2400 left), still active. Coupons 1100, total 2400.",
     snap(COUPON_SNAP["now"], COUPON_SNAP["subs"], COUPON_SNAP["plans"], COUPON_SNAP["events"],
          periodic("2024-04-01T00:00:00Z"),
          applied_coupons=[
              {"lago_id": "ac_once", "coupon_code": "once500", "coupon_type": "fixed_amount", "amount_cents": 1000,
               "amount_cents_remaining": 500, "amount_currency": "USD", "frequency": "once", "status": "active",
               "created_at": "2024-01-01T00:00:00Z"},
              {"lago_id": "ac_rec", "coupon_code": "rec10", "coupon_type": "percentage", "percentage_rate": "10.0",
               "frequency": "recurring", "frequency_duration": 6, "frequency_duration_remaining": 3,
               "status": "active", "created_at": "2024-01-02T00:00:00Z"},
              {"lago_id": "ac_forever", "coupon_code": "ever300", "coupon_type": "fixed_amount", "amount_cents": 300,
               "amount_currency": "USD", "frequency": "forever", "status": "active",
               "created_at": "2024-01-03T00:00:00Z"}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400)], fees=3500, coupons=1100)],
      "changes": {"applied_coupons": [
          {"lago_id": "ac_once", "credit_amount_cents": 500, "status": "terminated", "amount_cents_remaining": 0},
          {"lago_id": "ac_rec", "credit_amount_cents": 300, "status": "active", "frequency_duration_remaining": 2},
          {"lago_id": "ac_forever", "credit_amount_cents": 300, "status": "active",
           "amount_cents_remaining": None, "frequency_duration_remaining": None}]}})

case("coupons/once_fixed_partly_used",
     "a once fixed coupon larger than the invoice keeps what is left",
     "Fees 3500; once fixed coupon with 5000 remaining -> credit 3500, 1500 remaining, still active. Total 0.",
     snap(COUPON_SNAP["now"], COUPON_SNAP["subs"], COUPON_SNAP["plans"], COUPON_SNAP["events"],
          periodic("2024-04-01T00:00:00Z"),
          applied_coupons=[{"lago_id": "ac_big", "coupon_code": "big", "coupon_type": "fixed_amount",
                            "amount_cents": 5000, "amount_cents_remaining": 5000, "amount_currency": "USD",
                            "frequency": "once", "status": "active", "created_at": "2024-01-01T00:00:00Z"}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400)], fees=3500, coupons=3500)],
      "changes": {"applied_coupons": [{"lago_id": "ac_big", "credit_amount_cents": 3500, "status": "active",
                                       "amount_cents_remaining": 1500}]}})

case("coupons/recurring_last_period",
     "a recurring coupon on its last period ends with this invoice",
     "Fees 3500; recurring fixed 1000 with 1 period left -> credit 1000, 0 left, terminated. Total 2500.",
     snap(COUPON_SNAP["now"], COUPON_SNAP["subs"], COUPON_SNAP["plans"], COUPON_SNAP["events"],
          periodic("2024-04-01T00:00:00Z"),
          applied_coupons=[{"lago_id": "ac_last", "coupon_code": "r1000", "coupon_type": "fixed_amount",
                            "amount_cents": 1000, "amount_currency": "USD", "frequency": "recurring",
                            "frequency_duration": 3, "frequency_duration_remaining": 1, "status": "active",
                            "created_at": "2024-01-01T00:00:00Z"}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400)], fees=3500, coupons=1000)],
      "changes": {"applied_coupons": [{"lago_id": "ac_last", "status": "terminated",
                                       "frequency_duration_remaining": 0}]}})

case("wallets/two_run_dry_in_priority_order",
     "two wallets debited in priority order until both are empty",
     "Fees 3500, total 3500. Wallet w_first (priority 1, 1000 cents) pays 1000 and runs dry; w_second "
     "(priority 2, created earlier, 2000 cents at 0.5 USD per credit) pays 2000 = 40 credits and runs dry. "
     "Prepaid 3000; 500 due. Outbound transactions: 10.0 USD = 10 credits, 20.0 USD = 40 credits.",
     snap(COUPON_SNAP["now"], COUPON_SNAP["subs"], COUPON_SNAP["plans"], COUPON_SNAP["events"],
          periodic("2024-04-01T00:00:00Z"),
          wallets=[{"lago_id": "w_second", "code": "second", "status": "active", "currency": "USD",
                    "rate_amount": "0.5", "balance_cents": 2000, "credits_balance": "40.0", "priority": 2,
                    "created_at": "2023-01-01T00:00:00Z"},
                   {"lago_id": "w_first", "code": "first", "status": "active", "currency": "USD",
                    "rate_amount": "1.0", "balance_cents": 1000, "credits_balance": "10.0", "priority": 1,
                    "created_at": "2024-01-01T00:00:00Z"}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400)], fees=3500, prepaid=3000)],
      "changes": {"wallets": [
          {"lago_id": "w_first", "balance_cents": 0, "credits_balance": "0.0", "debited_amount_cents": 1000,
           "debited_credits": "10.0"},
          {"lago_id": "w_second", "balance_cents": 0, "credits_balance": "0.0", "debited_amount_cents": 2000,
           "debited_credits": "40.0"}],
          "wallet_transactions": [
              {"lago_wallet_id": "w_first", "transaction_type": "outbound", "status": "settled",
               "transaction_status": "invoiced", "amount": "10.0", "credit_amount": "10.0"},
              {"lago_wallet_id": "w_second", "transaction_type": "outbound", "amount": "20.0",
               "credit_amount": "40.0"}]}})

case("credit_notes/consumed_oldest_first",
     "available credit notes consumed oldest first by the invoice total",
     "Fees 3500 + VAT 700 = 4200. cn_old 3000 -> fully consumed; cn_new 5000 -> 1200 taken, 3800 left. Total 0.",
     snap(COUPON_SNAP["now"], COUPON_SNAP["subs"], COUPON_SNAP["plans"], COUPON_SNAP["events"],
          periodic("2024-04-01T00:00:00Z"), org_taxes=["vat20"],
          credit_notes=[{"lago_id": "cn_new", "number": "CN-2", "balance_amount_cents": 5000, "currency": "USD",
                         "credit_status": "available", "created_at": "2024-03-01T00:00:00Z"},
                        {"lago_id": "cn_old", "number": "CN-1", "balance_amount_cents": 3000, "currency": "USD",
                         "credit_status": "available", "created_at": "2024-02-01T00:00:00Z"}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400)], fees=3500, taxes=700,
                           notes=4200)],
      "changes": {"credit_notes": [
          {"lago_id": "cn_old", "credit_status": "consumed", "balance_amount_cents": 0, "consumed_amount_cents": 3000},
          {"lago_id": "cn_new", "credit_status": "available", "balance_amount_cents": 3800,
           "consumed_amount_cents": 1200}]}})

# ---- starting, terminating, upgrading --------------------------------------------------------

case("starting/advance_calendar_mid_month",
     "the start invoice of a plan paid in advance, prorated to the end of the calendar month",
     "Pending subscription starting 2024-03-16 (calendar, 3100 in advance): 16 of 31 days = 1600. Issuing "
     "date 03-16 + net payment term 30 -> due 04-15. The subscription becomes active.",
     snap("2024-03-16T00:00:01Z", [sub("m_adv", "2024-03-16T00:00:00Z", status="pending")],
          [plan("m_adv", advance=True)], [],
          {"invoicing_reason": "subscription_starting", "billing_at": "2024-03-16T00:00:00Z",
           "external_subscription_ids": ["sub_1"]}, net_payment_term=None),
     None)
CASES["starting/advance_calendar_mid_month"]["snapshot"]["customer"]["net_payment_term"] = 30
CASES["starting/advance_calendar_mid_month"]["expected"] = {
    "invoices": [invoice("2024-03-16", [fee("subscription", 1600, from_date="2024-03-16T00:00:00Z",
                                            to_date="2024-03-31T23:59:59Z")],
                         due="2024-04-15", fees=1600)],
    "invoice_subscriptions": [{"invoicing_reason": "subscription_starting"}],
    "changes": {"subscriptions": [{"external_id": "sub_1", "plan_code": "m_adv", "status": "active",
                                   "started_at": "2024-03-16T00:00:00Z"}]}}
del CASES["starting/advance_calendar_mid_month"]["snapshot"]["net_payment_term"]

case("starting/arrears_no_invoice",
     "a plan paid in arrears has no start invoice; the subscription only becomes active",
     "Lago bills at activation only plans paid in advance: no invoice, the subscription is active from 03-16.",
     snap("2024-03-16T00:00:01Z", [sub("m_arr", "2024-03-16T00:00:00Z", status="pending")],
          [plan("m_arr")], [],
          {"invoicing_reason": "subscription_starting", "billing_at": "2024-03-16T00:00:00Z",
           "external_subscription_ids": ["sub_1"]}),
     {"invoices": [], "invoice_subscriptions": [],
      "changes": {"subscriptions": [{"external_id": "sub_1", "status": "active",
                                     "started_at": "2024-03-16T00:00:00Z"}]}})

case("terminating/advance_mid_period_credit_note",
     "a mid-period termination of a plan paid in advance: usage invoice and a credit note for the unused days",
     "Terminated 2024-03-20 12:00. Invoice: no fee (paid in advance on 03-01); March calls until the "
     "termination: 03-05 = 200 (03-21 is after); VAT 20 % 40 -> 240. Credit note: unused 03-21..03-31 = "
     "(31 - 20) x 3100/31 = 1100, + 20 % = 1320; it pays this invoice's 240 and keeps 1080. Total 0.",
     snap("2024-03-20T12:00:01Z", [sub("m_adv", "2024-01-01T00:00:00Z")], [plan("m_adv", advance=True)],
          [ev(1, "2024-03-05T10:00:00Z"), ev(2, "2024-03-20T13:00:00Z")],
          {"invoicing_reason": "subscription_terminating", "billing_at": "2024-03-20T12:00:00Z",
           "external_subscription_ids": ["sub_1"]}, org_taxes=["vat20"]),
     {"invoices": [invoice("2024-03-20", [fee("charge", 200, to_date="2024-03-20T12:00:00Z")], fees=200, taxes=40,
                           notes=240)],
      "invoice_subscriptions": [{"invoicing_reason": "subscription_terminating"}],
      "changes": {"credit_notes": [
          {"lago_id": None, "reason": "order_change", "credit_status": "available", "total_amount_cents": 1320,
           "sub_total_excluding_taxes_amount_cents": 1100, "taxes_amount_cents": 220,
           "balance_amount_cents": 1080, "consumed_amount_cents": 240,
           "items": [{"amount_cents": 1100, "precise_amount_cents": "1100.0"}]}],
          "subscriptions": [{"external_id": "sub_1", "status": "terminated",
                             "terminated_at": "2024-03-20T12:00:00Z"}]}})

case("terminating/arrears_mid_period",
     "a mid-period termination of a plan paid in arrears: the prorated fee and the usage so far",
     "Terminated 2024-03-20 12:00 (monthly arrears 3100, calendar): days 03-01..03-20 = 20 x 100 = 2000; calls "
     "03-05 = 200. Fees 2200. No credit note (nothing paid in advance).",
     snap("2024-03-20T12:00:01Z", [sub("m_arr", "2024-01-01T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-05T10:00:00Z"), ev(2, "2024-03-20T13:00:00Z")],
          {"invoicing_reason": "subscription_terminating", "billing_at": "2024-03-20T12:00:00Z",
           "external_subscription_ids": ["sub_1"]}),
     {"invoices": [invoice("2024-03-20", [fee("subscription", 2000), fee("charge", 200)], fees=2200)],
      "changes": {"credit_notes": [], "subscriptions": [{"status": "terminated"}]}})

case("upgrading/arrears_to_advance",
     "an upgrade mid-month: the old plan closed (its days but the upgrade day), the new one started in advance",
     "Upgrade at 2024-03-16 00:00 from m_arr (3100 arrears) to premium_adv (6200 advance). Old: days 03-01..03-16 "
     "= 16 - 1 (the upgrade day is the new plan's) = 15 x 100 = 1500; calls 03-05 = 200. New: 03-16..03-31 = 16 "
     "x 200 = 3200. Fees 4900. Changes: m_arr terminated at 03-16, premium_adv active from 03-16.",
     snap("2024-03-16T00:00:01Z", [sub("m_arr", "2024-01-01T00:00:00Z")],
          [plan("m_arr"), plan("premium_adv", amount=6200, advance=True)],
          [ev(1, "2024-03-05T10:00:00Z")],
          {"invoicing_reason": "upgrading", "billing_at": "2024-03-16T00:00:00Z", "external_subscription_ids": ["sub_1"],
           "plan_code": "premium_adv"}),
     {"invoices": [invoice("2024-03-16", [fee("subscription", 1500), fee("charge", 200), fee("subscription", 3200)],
                           fees=4900)],
      "invoice_subscriptions": [{"plan_code": "m_arr", "invoicing_reason": "subscription_terminating"},
                                {"plan_code": "premium_adv", "invoicing_reason": "subscription_starting"}],
      "changes": {"subscriptions": [
          {"plan_code": "m_arr", "status": "terminated", "terminated_at": "2024-03-16T00:00:00Z"},
          {"plan_code": "premium_adv", "status": "active", "started_at": "2024-03-16T00:00:00Z"}]}})

case("upgrading/advance_to_advance_credit_note",
     "an upgrade of a plan paid in advance: the unused days of the old fee become a credit note",
     "Upgrade at 2024-03-16 00:00 from m_adv (3100 advance) to premium_adv (6200 advance). Old: no fee; calls "
     "03-05 = 200. New: 16 x 200 = 3200. Fees 3400. Credit note: billed_from = 03-15 (the day before the "
     "upgrade), unused = 31 - 15 = 16 days x 100 = 1600; all of it pays this invoice: total 1800.",
     snap("2024-03-16T00:00:01Z", [sub("m_adv", "2024-01-01T00:00:00Z")],
          [plan("m_adv", advance=True), plan("premium_adv", amount=6200, advance=True)],
          [ev(1, "2024-03-05T10:00:00Z")],
          {"invoicing_reason": "upgrading", "billing_at": "2024-03-16T00:00:00Z", "external_subscription_ids": ["sub_1"],
           "plan_code": "premium_adv"}),
     {"invoices": [invoice("2024-03-16", [fee("charge", 200), fee("subscription", 3200)], fees=3400, notes=1600)],
      "changes": {"credit_notes": [{"total_amount_cents": 1600, "balance_amount_cents": 0,
                                    "credit_status": "consumed", "consumed_amount_cents": 1600}]}})

# ---- pay-in-advance charge -------------------------------------------------------------------

ADV_CHARGE = {"billable_metric_code": "calls", "charge_model": "standard", "pay_in_advance": True,
              "invoiceable": True, "properties": {"amount": "2"}}
case("in_advance_charge/per_event_invoice",
     "a pay-in-advance charge billed as its event arrives: one fee, one invoice",
     "Event e9 at 2024-03-10 10:00 on a standard 2.00 charge paid in advance (one earlier event this month): "
     "fee = 2 x 2.00 - 1 x 2.00 = 200; VAT 20 % = 40; total 240. Issuing date = the event's day.",
     snap("2024-03-10T10:00:01Z", [sub("adv_charge", "2024-01-01T00:00:00Z")],
          [plan("adv_charge", charges=[ADV_CHARGE])],
          [ev(1, "2024-03-02T10:00:00Z"), ev(9, "2024-03-10T10:00:00Z")],
          {"invoicing_reason": "in_advance_charge",
           "event": {"transaction_id": "e9", "external_subscription_id": "sub_1", "code": "calls",
                     "timestamp": "2024-03-10T10:00:00Z", "properties": {}}}, org_taxes=["vat20"]),
     {"invoices": [invoice("2024-03-10", [fee("charge", 200, pay_in_advance=True, units="1.0", events_count=1,
                                              event_transaction_id="e9")],
                           fees=200, taxes=40)],
      "invoice_subscriptions": [{"invoicing_reason": "in_advance_charge", "event_transaction_id": "e9"}],
      "fees": []})

case("in_advance_charge/not_invoiceable",
     "a pay-in-advance charge that is not invoiceable: the fee is created without an invoice",
     "invoiceable false: fee 200 for the event, no invoice (Lago keeps it for regroup_paid_fees).",
     snap("2024-03-10T10:00:01Z", [sub("adv_charge", "2024-01-01T00:00:00Z")],
          [plan("adv_charge", charges=[dict(ADV_CHARGE, invoiceable=False)])],
          [ev(9, "2024-03-10T10:00:00Z")],
          {"invoicing_reason": "in_advance_charge",
           "event": {"transaction_id": "e9", "external_subscription_id": "sub_1", "code": "calls",
                     "timestamp": "2024-03-10T10:00:00Z", "properties": {}}}),
     {"invoices": [], "fees": [{"amount_cents": 200, "invoiceable": False, "external_subscription_id": "sub_1"}]})

# ---- time zones ------------------------------------------------------------------------------

case("timezone/tokyo_month_end",
     "a customer in Asia/Tokyo billed at its local month end",
     "Tokyo is UTC+9: B = 2024-04-01 00:00 JST = 2024-03-31T15:00Z. March (JST) = 2024-02-29T15:00Z.."
     "2024-03-31T14:59:59Z: calls at 02-29T16:00Z (03-01 01:00 JST) and 03-31T14:00Z (23:00 JST) = 400; "
     "03-31T16:00Z is April 1st in Tokyo. Fees 3100 + 400 = 3500; issuing date 2024-04-01 (local).",
     snap("2024-03-31T15:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-02-29T14:00:00Z"), ev(2, "2024-02-29T16:00:00Z"), ev(3, "2024-03-31T14:00:00Z"),
           ev(4, "2024-03-31T16:00:00Z")],
          periodic("2024-03-31T15:00:00Z"), tz="Asia/Tokyo"),
     {"invoices": [invoice("2024-04-01",
                           [fee("subscription", 3100, from_date="2024-02-29T15:00:00Z", to_date="2024-03-31T14:59:59Z"),
                            fee("charge", 400, events_count=2)], fees=3500)]})

case("timezone/los_angeles_month_end",
     "a customer in America/Los_Angeles billed at its local month end, across the DST change",
     "March 2024 in Los Angeles: 03-01 00:00 PST (UTC-8) = 08:00Z .. 03-31 23:59:59 PDT (UTC-7) = 04-01T06:59:59Z; "
     "B = 2024-04-01T07:00Z. Calls at 03-01T07:30Z (still Feb 29 locally), 03-01T08:30Z and 04-01T06:30Z "
     "(March) -> 2 x 2.00 = 400. Fees 3500; issuing date 2024-04-01.",
     snap("2024-04-01T07:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-01T07:30:00Z"), ev(2, "2024-03-01T08:30:00Z"), ev(3, "2024-04-01T06:30:00Z"),
           ev(4, "2024-04-01T07:30:00Z")],
          periodic("2024-04-01T07:00:00Z"), tz="America/Los_Angeles"),
     {"invoices": [invoice("2024-04-01",
                           [fee("subscription", 3100, from_date="2024-03-01T08:00:00Z", to_date="2024-04-01T06:59:59Z"),
                            fee("charge", 400, events_count=2)], fees=3500)]})

# ---- history and errors ----------------------------------------------------------------------

case("history/already_billed",
     "a period already billed (snapshot.invoices) is never billed twice",
     "snapshot.invoices holds the 2024-04-01 periodic invoice of sub_1 for 03-01..03-31: no invoice, no change.",
     snap("2024-04-02T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-02T10:00:00Z")], periodic("2024-04-01T00:00:00Z"),
          invoices=[{"lago_id": "inv_1", "invoice_subscriptions": [
              {"external_subscription_id": "sub_1", "invoicing_reason": "subscription_periodic",
               "timestamp": "2024-04-01T00:00:00Z", "from_datetime": "2024-03-01T00:00:00Z",
               "to_datetime": "2024-03-31T23:59:59Z", "charges_from_datetime": "2024-03-01T00:00:00Z",
               "charges_to_datetime": "2024-03-31T23:59:59Z"}]}]),
     {"invoices": [], "invoice_subscriptions": [],
      "already_billed": [{"external_subscription_id": "sub_1", "invoicing_reason": "subscription_periodic",
                          "from_datetime": "2024-03-01T00:00:00Z"}],
      "changes": NO_CHANGES})

case("history/previous_period_does_not_block",
     "an earlier period in the history does not stop the next one",
     "History holds February's invoice (02-01..02-29); March is billed: 3100 + 200.",
     snap("2024-04-01T00:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-02T10:00:00Z")], periodic("2024-04-01T00:00:00Z"),
          invoices=[{"lago_id": "inv_1", "invoice_subscriptions": [
              {"external_subscription_id": "sub_1", "invoicing_reason": "subscription_periodic",
               "from_datetime": "2024-02-01T00:00:00Z", "to_datetime": "2024-02-29T23:59:59Z",
               "charges_from_datetime": "2024-02-01T00:00:00Z", "charges_to_datetime": "2024-02-29T23:59:59Z"}]}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 200)], fees=3300)],
      "already_billed": []})

HISTORY_FEE = {"external_subscription_id": "sub_1", "item": {"type": "subscription", "code": "m_adv"},
               "pay_in_advance": True, "from_date": "2024-03-16T00:00:00Z", "to_date": "2024-03-31T23:59:59Z",
               "amount_cents": 1600, "precise_coupons_amount_cents": "160.0", "taxes_rate": 20.0,
               "amount_details": {"plan_amount_cents": 3100}}
case("history/termination_credit_from_last_fee",
     "the termination credit note is computed from the advance fee actually billed (its coupons and tax rate)",
     "The start invoice billed 1600 (03-16..03-31) with 160 of coupons at 20 % tax. Terminated 2024-03-20 12:00: "
     "unused 31 - 20 = 11 days x 3100/31 = 1100 (<= 1600); coupons' share 160 x 1100/1600 = 110; 990 + 20 % "
     "198 = 1188. No usage: the closing invoice is 0 and the note stays available with 1188.",
     snap("2024-03-20T12:00:01Z", [sub("m_adv", "2024-03-16T00:00:00Z")], [plan("m_adv", advance=True)], [],
          {"invoicing_reason": "subscription_terminating", "billing_at": "2024-03-20T12:00:00Z",
           "external_subscription_ids": ["sub_1"]},
          invoices=[{"lago_id": "inv_start", "status": "finalized", "fees": [HISTORY_FEE],
                     "invoice_subscriptions": [{"external_subscription_id": "sub_1",
                                                "invoicing_reason": "subscription_starting"}]}]),
     {"invoices": [invoice("2024-03-20", [], fees=0)],
      "changes": {"credit_notes": [
          {"total_amount_cents": 1188, "coupons_adjustment_amount_cents": 110,
           "sub_total_excluding_taxes_amount_cents": 990, "taxes_amount_cents": 198, "balance_amount_cents": 1188,
           "credit_status": "available", "items": [{"amount_cents": 1100}]}]}})

case("history/termination_after_voided_fee",
     "no termination credit note when the advance fee's invoice was voided",
     "Lago's CreateFromTermination returns when the last subscription fee's invoice is voided.",
     snap("2024-03-20T12:00:01Z", [sub("m_adv", "2024-03-16T00:00:00Z")], [plan("m_adv", advance=True)], [],
          {"invoicing_reason": "subscription_terminating", "billing_at": "2024-03-20T12:00:00Z",
           "external_subscription_ids": ["sub_1"]},
          invoices=[{"lago_id": "inv_start", "status": "voided", "fees": [HISTORY_FEE]}]),
     {"invoices": [invoice("2024-03-20", [], fees=0)], "changes": {"credit_notes": []}})

case("../preview/termination/credit_from_history",
     "a termination preview takes its credit from the advance fee in snapshot.invoices, as bill does",
     "Started 03-16 (advance 3100, calendar); the start fee billed 1600 with 160 of coupons at 20 %. Preview of a "
     "termination at 03-20 12:00 with 10 calls (03-17) = 2000 + VAT 400 = 2400: credit 1100 - 110 = 990 + 198 = "
     "1188 (not 1320, which a full fee without coupons would give); due 1212.",
     snap("2024-03-18T00:00:00Z", [sub("m_adv", "2024-03-16T00:00:00Z")], [plan("m_adv", advance=True)],
          [ev(i, "2024-03-17T10:00:%02dZ" % i) for i in range(10)],
          {"customer": {"external_id": "cust_1"},
           "subscriptions": {"external_ids": ["sub_1"], "terminated_at": "2024-03-20T12:00:00Z"}},
          org_taxes=["vat20"], invoices=[{"lago_id": "inv_start", "fees": [HISTORY_FEE]}]),
     {"invoices": [invoice("2024-03-20", [fee("charge", 2000)], fees=2000, taxes=400, notes=1188)]})

ADV_FEE = {"external_subscription_id": "sub_1", "item": {"type": "charge", "code": "calls"}, "pay_in_advance": True,
           "from_date": "2024-03-01T00:00:00Z", "to_date": "2024-03-31T23:59:59Z", "amount_cents": 1500,
           "precise_amount": "15.0"}
case("history/commitment_counts_fees_billed_per_event",
     "the minimum commitment counts the pay-in-advance charge fees already billed in the period",
     "Commitment 10000 on a monthly arrears plan (3100). March: fee 3100 + arrears usage 2 calls = 400; two "
     "per-event invoices earlier in March billed 1500 each (snapshot.invoices). Used 3100 + 400 + 3000 = 6500 -> "
     "true-up 3500 (without the history it would be 10000 - 3500 = 6500). A February fee does not count.",
     snap("2024-04-01T00:00:05Z", [sub("m_commit", "2024-01-10T00:00:00Z")],
          [plan("m_commit", minimum_commitment={"amount_cents": 10000})],
          [ev(1, "2024-03-02T10:00:00Z"), ev(2, "2024-03-20T10:00:00Z")], periodic("2024-04-01T00:00:00Z"),
          invoices=[{"lago_id": "inv_a", "fees": [ADV_FEE]}, {"lago_id": "inv_b", "fees": [ADV_FEE]},
                    {"lago_id": "inv_feb", "fees": [dict(ADV_FEE, from_date="2024-02-01T00:00:00Z",
                                                         to_date="2024-02-29T23:59:59Z")]},
                    {"lago_id": "inv_void", "status": "voided", "fees": [ADV_FEE]}]),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 400), fee("commitment", 3500)],
                           fees=7000)]})

ERR = {"status": 422, "code": "validation_errors"}
case("errors/history_fee_without_subscription", "a stored fee names its subscription",
     "snapshot.invoices[0].fees[0].external_subscription_id is mandatory.",
     snap("2024-04-01T00:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          periodic("2024-04-01T00:00:00Z"),
          invoices=[{"fees": [{"item": {"type": "subscription"}, "from_date": "2024-03-01T00:00:00Z",
                               "to_date": "2024-03-31T23:59:59Z", "amount_cents": 100}]}]),
     error=dict(ERR, error_details={"invoices[0].fees[0].external_subscription_id": ["value_is_mandatory"]}))
case("errors/not_a_billing_date", "a periodic invoice at an instant that is not the subscription's billing date",
     "Monthly calendar plan: 2024-03-15 is inside March.",
     snap("2024-03-16T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          periodic("2024-03-15T00:00:00Z")),
     error=dict(ERR, error_details={"request.billing_at": ["not_a_billing_date"]}))
case("errors/billing_in_the_future", "billing_at after the snapshot's now", "The engine never bills ahead of its clock.",
     snap("2024-03-31T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          periodic("2024-04-01T00:00:00Z")),
     error=dict(ERR, error_details={"request.billing_at": ["cannot_be_in_future"]}))
case("errors/unknown_reason", "an invoicing reason Lago does not have", "Lago's invoicing reasons only.",
     snap("2024-04-01T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          {"invoicing_reason": "whenever", "external_subscription_ids": ["sub_1"]}),
     error=dict(ERR, error_details={"request.invoicing_reason": ["value_is_invalid"]}))
case("errors/unknown_subscription", "a subscription the snapshot does not hold", "404 as Lago.",
     snap("2024-04-01T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          periodic("2024-04-01T00:00:00Z", ["nope"])),
     error={"status": 404, "code": "subscription_not_found"})
case("errors/downgrade_is_not_an_upgrade", "a cheaper plan is a downgrade, switched by the periodic job",
     "basic (3100/month) after premium (6200/month): Lago schedules it for the period end; no invoice now.",
     snap("2024-03-16T00:00:00Z", [sub("premium", "2024-01-10T00:00:00Z")], [plan("premium", amount=6200), plan("basic")],
          [], {"invoicing_reason": "upgrading", "external_subscription_ids": ["sub_1"], "plan_code": "basic"}),
     error=dict(ERR, error_details={"request.plan_code": ["not_an_upgrade"]}))
case("errors/periodic_after_ending", "a periodic invoice after the subscription's ending_at",
     "ending_at 2024-03-20 is before B = 2024-04-01: that is a termination (subscription_terminating).",
     snap("2024-04-01T00:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z", ending_at="2024-03-20T00:00:00Z")],
          [plan("m_arr")], [], periodic("2024-04-01T00:00:00Z")),
     error=dict(ERR, error_details={"request.billing_at": ["after_subscription_end"]}))
case("errors/periodic_before_start", "a periodic invoice before the subscription started",
     "B = 2024-01-01 is before the start on 2024-01-10: nothing to bill.",
     snap("2024-01-02T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          periodic("2024-01-01T00:00:00Z")),
     error=dict(ERR, error_details={"request.billing_at": ["before_subscription_start"]}))
case("periodic/same_subscription_twice", "a subscription named twice in the request is billed once",
     "external_subscription_ids [sub_1, sub_1]: one subscription fee 3100 and one charge fee 200.",
     snap("2024-04-01T00:00:05Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")],
          [ev(1, "2024-03-02T10:00:00Z")], periodic("2024-04-01T00:00:00Z", ["sub_1", "sub_1"])),
     {"invoices": [invoice("2024-04-01", [fee("subscription", 3100), fee("charge", 200)], fees=3300)],
      "invoice_subscriptions": [{"external_subscription_id": "sub_1"}]})
case("errors/upgrade_without_plan", "an upgrade names its new plan", "request.plan_code is mandatory.",
     snap("2024-04-01T00:00:00Z", [sub("m_arr", "2024-01-10T00:00:00Z")], [plan("m_arr")], [],
          {"invoicing_reason": "upgrading", "external_subscription_ids": ["sub_1"]}),
     error=dict(ERR, error_details={"request.plan_code": ["value_is_mandatory"]}))


def main():
    for path, d in CASES.items():
        full = os.path.join(OUT, path + ".json")
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            json.dump(d, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print("wrote %d cases under %s" % (len(CASES), OUT))


if __name__ == "__main__":
    main()
