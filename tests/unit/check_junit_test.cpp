// `tariff check --junit`: the XML is well-formed (parsed here by a strict little XML reader)
// and carries every element and attribute the JUnit schema (Ant's junit.xsd, as Jenkins and
// GitLab read it) requires, with counts that add up and text that survives escaping.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <stdexcept>

#include "check.hpp"

using tariff::cli::CaseResult;
using tariff::cli::CaseStatus;

namespace {

struct Node {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::vector<std::unique_ptr<Node>> children;
  std::string text;
  std::vector<const Node*> all(const std::string& n) const {
    std::vector<const Node*> out;
    for (const auto& c : children)
      if (c->name == n) out.push_back(c.get());
    return out;
  }
};

// Strict enough for the test: prolog, elements, attributes in double quotes, the five
// entities and numeric references; anything else throws.
class Xml {
 public:
  explicit Xml(std::string s) : s_(std::move(s)) {}
  std::unique_ptr<Node> parse() {
    if (s_.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0) != 0) throw std::runtime_error("prolog");
    i_ = s_.find("?>") + 2;
    space();
    auto root = element();
    space();
    if (i_ != s_.size()) throw std::runtime_error("content after the root");
    return root;
  }

 private:
  void space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string name() {
    size_t b = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' || s_[i_] == '_')) ++i_;
    if (b == i_) throw std::runtime_error("name expected at " + std::to_string(i_));
    return s_.substr(b, i_ - b);
  }
  std::string decode(const std::string& raw) {
    std::string out;
    for (size_t k = 0; k < raw.size(); ++k) {
      const char c = raw[k];
      if (c == '<') throw std::runtime_error("raw < in text");
      if (c != '&') {
        out += c;
        continue;
      }
      const size_t semi = raw.find(';', k);
      if (semi == std::string::npos) throw std::runtime_error("bad entity");
      const std::string e = raw.substr(k + 1, semi - k - 1);
      if (e == "amp") out += '&';
      else if (e == "lt") out += '<';
      else if (e == "gt") out += '>';
      else if (e == "quot") out += '"';
      else if (e == "apos") out += '\'';
      else if (e.size() > 1 && e[0] == '#') out += static_cast<char>(std::stoi(e.substr(1)));
      else throw std::runtime_error("unknown entity &" + e + ";");
      k = semi;
    }
    return out;
  }
  std::unique_ptr<Node> element() {
    if (s_[i_] != '<') throw std::runtime_error("< expected");
    ++i_;
    auto n = std::make_unique<Node>();
    n->name = name();
    for (;;) {
      space();
      if (s_.compare(i_, 2, "/>") == 0) {
        i_ += 2;
        return n;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      const std::string a = name();
      if (s_[i_] != '=' || s_[i_ + 1] != '"') throw std::runtime_error("attribute syntax");
      i_ += 2;
      const size_t end = s_.find('"', i_);
      if (n->attrs.count(a)) throw std::runtime_error("duplicate attribute " + a);
      n->attrs[a] = decode(s_.substr(i_, end - i_));
      i_ = end + 1;
    }
    for (;;) {
      const size_t lt = s_.find('<', i_);
      if (lt == std::string::npos) throw std::runtime_error("unclosed " + n->name);
      n->text += decode(s_.substr(i_, lt - i_));
      i_ = lt;
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        if (name() != n->name || s_[i_] != '>') throw std::runtime_error("mismatched end tag");
        ++i_;
        return n;
      }
      n->children.push_back(element());
    }
  }
  std::string s_;
  size_t i_ = 0;
};

CaseResult result(std::string file, std::string name, CaseStatus st, std::string msg) {
  CaseResult r;
  r.file = std::move(file);
  r.name = std::move(name);
  r.status = st;
  r.message = std::move(msg);
  r.seconds = 0.0015;
  return r;
}

void expect_attrs(const Node& n, std::initializer_list<const char*> names) {
  for (const char* a : names) EXPECT_TRUE(n.attrs.count(a)) << n.name << " lacks " << a;
}

}  // namespace

TEST(CheckJunit, CarriesTheSchemasRequiredElements) {
  const std::vector<CaseResult> results = {
      result("cases/a.json", "passes", CaseStatus::passed, ""),
      result("./cases/sub/b.json", "fails <tier> & \"quote\" 'apos'", CaseStatus::failed,
             "x[0].y: expected \"<1>\", got 2"),
      result("/abs/c.json", "/abs/c.json", CaseStatus::unreadable, "not JSON\x01"),
  };
  const std::string xml = tariff::cli::junit_xml(results, "2024-03-15T12:00:00", "ci-host", 1.25);
  std::unique_ptr<Node> root;
  ASSERT_NO_THROW(root = Xml(xml).parse()) << xml;

  ASSERT_EQ(root->name, "testsuites");
  EXPECT_EQ(root->attrs["tests"], "3");
  EXPECT_EQ(root->attrs["failures"], "1");
  EXPECT_EQ(root->attrs["errors"], "1");
  const auto suites = root->all("testsuite");
  ASSERT_EQ(suites.size(), 1u);
  const Node& suite = *suites[0];
  // junit.xsd: testsuite requires name, timestamp, hostname, tests, failures, errors, time;
  // inside <testsuites> also package and id; then properties, testcase*, system-out, system-err.
  expect_attrs(suite, {"name", "timestamp", "hostname", "tests", "failures", "errors", "time",
                       "package", "id"});
  EXPECT_FALSE(suite.attrs.at("name").empty());
  EXPECT_FALSE(suite.attrs.at("hostname").empty());
  EXPECT_TRUE(std::regex_match(suite.attrs.at("timestamp"),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})")));
  EXPECT_TRUE(std::regex_match(suite.attrs.at("time"), std::regex(R"(\d+(\.\d+)?)")));
  EXPECT_EQ(suite.attrs.at("tests"), "3");
  EXPECT_EQ(suite.attrs.at("failures"), "1");
  EXPECT_EQ(suite.attrs.at("errors"), "1");
  ASSERT_GE(suite.children.size(), 3u);
  EXPECT_EQ(suite.children.front()->name, "properties");
  EXPECT_EQ(suite.children[suite.children.size() - 2]->name, "system-out");
  EXPECT_EQ(suite.children.back()->name, "system-err");

  const auto cases = suite.all("testcase");
  ASSERT_EQ(cases.size(), 3u);
  for (const Node* c : cases) {
    expect_attrs(*c, {"name", "classname", "time"});
    EXPECT_TRUE(std::regex_match(c->attrs.at("time"), std::regex(R"(\d+(\.\d+)?)")));
  }
  EXPECT_TRUE(cases[0]->children.empty());
  EXPECT_EQ(cases[0]->attrs.at("classname"), "cases");
  EXPECT_EQ(cases[1]->attrs.at("name"), "fails <tier> & \"quote\" 'apos'");
  EXPECT_EQ(cases[1]->attrs.at("classname"), "cases.sub");
  const auto failure = cases[1]->all("failure");
  ASSERT_EQ(failure.size(), 1u);
  EXPECT_TRUE(failure[0]->attrs.count("type"));  // required by the schema
  EXPECT_EQ(failure[0]->attrs.at("message"), "x[0].y: expected \"<1>\", got 2");
  EXPECT_NE(failure[0]->text.find("./cases/sub/b.json"), std::string::npos);
  const auto error = cases[2]->all("error");
  ASSERT_EQ(error.size(), 1u);
  EXPECT_TRUE(error[0]->attrs.count("type"));
  EXPECT_EQ(error[0]->attrs.at("message"), "not JSON\xEF\xBF\xBD");  // U+0001 is not XML
  EXPECT_EQ(cases[2]->attrs.at("classname"), "abs");
}

TEST(CheckJunit, AnEmptyRunIsStillValid) {
  const std::string xml = tariff::cli::junit_xml({}, "2024-03-15T12:00:00", "", 0);
  std::unique_ptr<Node> root;
  ASSERT_NO_THROW(root = Xml(xml).parse()) << xml;
  const Node& suite = *root->all("testsuite").at(0);
  EXPECT_EQ(suite.attrs.at("tests"), "0");
  EXPECT_EQ(suite.attrs.at("hostname"), "localhost");
  EXPECT_EQ(suite.all("properties").size(), 1u);
  EXPECT_EQ(suite.all("system-out").size(), 1u);
  EXPECT_EQ(suite.all("system-err").size(), 1u);
}
