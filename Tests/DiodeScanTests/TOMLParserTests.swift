import XCTest
@testable import DiodeScan

final class TOMLParserTests: XCTestCase {
    private func parse(_ text: String) throws -> TOMLTable { try TOMLParser.parse(text) }

    private func expectError(_ text: String, line: Int, containing fragment: String,
                             file: StaticString = #filePath, lineNumber: UInt = #line) {
        do {
            _ = try TOMLParser.parse(text)
            XCTFail("parsed without error: \(text)", file: file, line: lineNumber)
        } catch {
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: lineNumber)
            XCTAssertTrue(error.message.contains(fragment), "\(error) lacks '\(fragment)'", file: file, line: lineNumber)
        }
    }

    func testScalarsCommentsAndTables() throws {
        let root = try parse("""
        # a comment
        title = "Fig. 3 \\"screening\\"\\t\\u00e9" # trailing comment
        path = 'C:\\no\\escapes'
        [model]
        mu = 40
        gamma = 1.0
        tiny = -1e-10
        big = +2.5E3
        under = 1_000
        on = true
        off = false
        [model.capacitances]
        c12 = 0.5
        """)
        XCTAssertEqual(root.keys, ["title", "path", "model"])
        guard case .string(let title)? = root["title"]?.value else { return XCTFail() }
        XCTAssertEqual(title, "Fig. 3 \"screening\"\té")
        guard case .string(let path)? = root["path"]?.value else { return XCTFail() }
        XCTAssertEqual(path, "C:\\no\\escapes")
        guard case .table(let model)? = root["model"]?.value else { return XCTFail() }
        XCTAssertEqual(model.line, 4)
        guard case .integer(40)? = model["mu"]?.value else { return XCTFail("mu") }
        guard case .float(let tiny)? = model["tiny"]?.value, case .float(let big)? = model["big"]?.value else { return XCTFail() }
        XCTAssertEqual(tiny, -1e-10)
        XCTAssertEqual(big, 2500)
        guard case .integer(1000)? = model["under"]?.value else { return XCTFail("underscores") }
        guard case .boolean(true)? = model["on"]?.value, case .boolean(false)? = model["off"]?.value else { return XCTFail() }
        XCTAssertEqual(model["tiny"]?.line, 7)
        guard case .table(let caps)? = model["capacitances"]?.value, case .float(0.5)? = caps["c12"]?.value else {
            return XCTFail("capacitances")
        }
    }

    func testInfAndNanAreParsedSoValidationCanNameThem() throws {
        let root = try parse("a = inf\nb = -inf\nc = nan\nd = +inf")
        guard case .float(let a)? = root["a"]?.value, case .float(let b)? = root["b"]?.value,
              case .float(let c)? = root["c"]?.value, case .float(let d)? = root["d"]?.value else { return XCTFail() }
        XCTAssertEqual(a, .infinity)
        XCTAssertEqual(b, -.infinity)
        XCTAssertTrue(c.isNaN)
        XCTAssertEqual(d, .infinity)
    }

    func testArraysSpanLinesAndInlineTables() throws {
        let root = try parse("""
        list = [
            1.0,   # first
            2,
            3.5,   # trailing comma allowed
        ]
        range = { from = 30.0, to = 50.0, count = 401 }
        empty = []
        nested = [[1, 2], [3]]
        """)
        guard case .array(let list)? = root["list"]?.value else { return XCTFail() }
        XCTAssertEqual(list.count, 3)
        guard case .table(let range)? = root["range"]?.value, case .integer(401)? = range["count"]?.value else { return XCTFail() }
        XCTAssertEqual(range.keys, ["from", "to", "count"])
        XCTAssertEqual(root["range"]?.line, 6)
        guard case .array(let empty)? = root["empty"]?.value else { return XCTFail() }
        XCTAssertTrue(empty.isEmpty)
        guard case .array(let nested)? = root["nested"]?.value, case .array(let inner)? = nested.first else { return XCTFail() }
        XCTAssertEqual(inner.count, 2)
    }

    func testWindowsLineEndings() throws {
        let root = try parse("a = 1\r\n[t]\r\nb = 'x'\r\n")
        guard case .table(let t)? = root["t"]?.value, case .string("x")? = t["b"]?.value else { return XCTFail() }
        XCTAssertEqual(t["b"]?.line, 3)
    }

    func testQuotedKeys() throws {
        let root = try parse("\"a b\" = 1\n'c' = 2")
        XCTAssertEqual(root.keys, ["a b", "c"])
    }

    func testErrorsCarryLineNumbers() {
        expectError("a = 1\na = 2", line: 2, containing: "defined twice")
        expectError("[t]\nx = 1\n[t]", line: 3, containing: "defined twice")
        expectError("a = 1\n\nb = ", line: 3, containing: "expected a value")
        expectError("a = \"open", line: 1, containing: "unterminated string")
        expectError("a = \"bad \\q\"", line: 1, containing: "invalid escape")
        expectError("a = 1 2", line: 1, containing: "end of the line")
        expectError("a.b = 1", line: 1, containing: "dotted keys")
        expectError("[[t]]", line: 1, containing: "arrays of tables")
        expectError("a = \"\"\"x\"\"\"", line: 1, containing: "multi-line")
        expectError("a = 1979-05-27", line: 1, containing: "dates")
        expectError("a = 0x1F", line: 1, containing: "decimal")
        expectError("a = hello", line: 1, containing: "not a valid value")
        expectError("a = 01", line: 1, containing: "not a valid value")
        expectError("a = 1__0", line: 1, containing: "not a valid value")
        expectError("a = 1.", line: 1, containing: "not a valid value")
        expectError("a = .5", line: 1, containing: "not a valid value")
        expectError("a = [1,\n2\n", line: 1, containing: "unterminated array")
        expectError("a = { x = 1,\n y = 2 }", line: 1, containing: "same line")
        expectError("a = { x = 1, x = 2 }", line: 1, containing: "defined twice")
        expectError("a = 1\n[a]", line: 2, containing: "not a table")
        expectError("a = 99999999999999999999", line: 1, containing: "not a valid value")
        expectError("= 1", line: 1, containing: "expected a key")
        expectError("r = { a = 1 }\n[r]\nb = 2", line: 2, containing: "inline table")
    }
}
