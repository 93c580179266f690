// DICOMweb client pieces that need no server: Content-Type parameters,
// multipart bodies as servers write them (and as they break), and the
// configuration checks of the DICOMweb source. (The HTTP client itself is
// tested in tests/lib/http/.)
#include <vector>

#include <gtest/gtest.h>

#include "dicomweb/dicomweb_source.h"
#include "dicomweb/multipart.h"

namespace oncoatlas::dicomweb {
namespace {

TEST(ContentType, ParsesQuotedAndBareParameters) {
  auto p = ParseContentType("Multipart/Related; type=\"application/dicom\";Boundary=\"a b;c\\\"d\" ; x=1");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)[""], "multipart/related");
  EXPECT_EQ((*p)["type"], "application/dicom");
  EXPECT_EQ((*p)["boundary"], "a b;c\"d");
  EXPECT_EQ((*p)["x"], "1");
  EXPECT_FALSE(ParseContentType("multipart/related; boundary=\"open").ok());
  EXPECT_FALSE(ParseContentType("").ok());
}

TEST(Multipart, SplitsPartsWithPreambleEpilogueAndPadding) {
  std::string body =
      "preamble text\r\n"
      "--XyZ  \r\nContent-Type: application/dicom\r\n\r\nfirst\r\npart\r\n"
      "--XyZ\r\ncontent-type: application/dicom\r\nX-Extra: 1\r\n\r\n\r\n--XyZ\r\n\r\nthird--XyZ-not-a-delimiter\r\n"
      "--XyZ--\r\nepilogue";
  auto parts = ParseMultipart("multipart/related; type=\"application/dicom\"; boundary=XyZ", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].body, "first\r\npart");
  EXPECT_EQ((*parts)[0].headers.at("content-type"), "application/dicom");
  EXPECT_EQ((*parts)[1].body, "");
  EXPECT_EQ((*parts)[1].headers.at("x-extra"), "1");
  EXPECT_EQ((*parts)[2].body, "third--XyZ-not-a-delimiter");
}

TEST(Multipart, AcceptsBareLineFeedsAndBinaryContent) {
  std::string binary("\0\r\n\x01--Xy", 8);
  std::string body = "--B\nContent-Type: application/dicom\n\n" + binary + "\n--B--";
  auto parts = ParseMultipart("multipart/related; boundary=B", body);
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].body, binary);
}

TEST(Multipart, RejectsTruncatedAndMislabelledBodies) {
  const std::string type = "multipart/related; boundary=B";
  EXPECT_FALSE(ParseMultipart(type, "--B\r\nContent-Type: application/dicom\r\n\r\nhalf a fi").ok());
  EXPECT_FALSE(ParseMultipart(type, "--B\r\nContent-Type: application/dicom\r\n").ok());
  EXPECT_FALSE(ParseMultipart(type, "no delimiter at all").ok());
  EXPECT_FALSE(ParseMultipart(type, "").ok());
  auto not_multipart = ParseMultipart("application/dicom", "--B--");
  ASSERT_FALSE(not_multipart.ok());
  EXPECT_NE(not_multipart.status().message().find("application/dicom"), std::string::npos);
  EXPECT_FALSE(ParseMultipart("multipart/related; type=\"application/dicom\"", "--B--").ok());
}

TEST(Multipart, WhatWeWriteWeRead) {
  const char raw[] = "DICM\0\0\r\n--oncoatlas\0";
  std::string a(raw, sizeof(raw) - 1), b(3000, '\xff');
  std::vector<std::string_view> parts{a, b, ""};
  std::string boundary = ChooseBoundary(parts);
  for (auto p : parts) EXPECT_EQ(p.find(boundary), std::string_view::npos);
  auto back = ParseMultipart("multipart/related; type=\"application/dicom\"; boundary=" + boundary,
                             MakeMultipart(boundary, "application/dicom", parts));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].body, a);
  EXPECT_EQ((*back)[1].body, b);
  EXPECT_EQ((*back)[2].body, "");
}

TEST(DicomWebSource, RejectsBadQueries) {
  DicomWebEndpoint ep;
  ep.url = "http://127.0.0.1:8042/dicom-web";
  agent::SourceQuery q;
  q.study_date_range = "2020-01-01";
  auto bad = MakeDicomWebSource(ep, q);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("2020-01-01"), std::string::npos);
  q = {};
  q.modalities = {"ct"};
  EXPECT_FALSE(MakeDicomWebSource(ep, q).ok());
  q = {};
  q.study_instance_uids = {"1.2.x"};
  EXPECT_FALSE(MakeDicomWebSource(ep, q).ok());
  ep.page_size = 0;
  EXPECT_FALSE(MakeDicomWebSource(ep, {}).ok());
  ep.page_size = 10;
  ep.url = "gopher://x";
  EXPECT_FALSE(MakeDicomWebSource(ep, {}).ok());
  // lib/http's credential rule holds for the source.
  ep.url = "http://pacs.example.org/dicom-web";
  ep.http.credentials.username = "u";
  EXPECT_EQ(MakeDicomWebSource(ep, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace oncoatlas::dicomweb
