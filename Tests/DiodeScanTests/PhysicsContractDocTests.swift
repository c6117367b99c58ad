import Foundation
import XCTest

/// The physics contract ships inside the repository (docs/physics.md §0):
/// code and tests cite it, not a file outside the repository, and every
/// section or equation they cite exists there.
final class PhysicsContractDocTests: XCTestCase {
    /// The repository's root (this file is Tests/DiodeScanTests/<name>.swift).
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    private func contractSection() throws -> String {
        let text = try String(contentsOf: root.appendingPathComponent("docs/physics.md"), encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "## 0. The model (the physics contract)"))
        let end = try XCTUnwrap(text.range(of: "\n## 1. ", range: start.upperBound..<text.endIndex))
        return String(text[start.lowerBound..<end.lowerBound])
    }

    /// Every Swift file under Sources/ and Tests/, with its text.
    private func swiftFiles() throws -> [(path: String, text: String)] {
        var files: [(String, String)] = []
        for directory in ["Sources", "Tests"] {
            let base = root.appendingPathComponent(directory)
            let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                files.append((url.path, try String(contentsOf: url, encoding: .utf8)))
            }
        }
        return files
    }

    func testContractHasEveryEquationAndSection() throws {
        let section = try contractSection()
        for equation in ["Eq. 1", "Eq. 2", "Eq. 3", "Eq. 5", "Eq. 6", "Eq. 7"] {
            XCTAssertTrue(section.contains(equation), equation)
        }
        for heading in ["Units", "The device", "Scattering matrices", "Currents", "The probe", "Screening",
                        "What is solved", "The paper's settings", "Accuracy", "Properties that must hold"] {
            XCTAssertTrue(section.contains("### 0.") && section.contains(heading), heading)
        }
    }

    func testSourcesCiteTheContractInsideTheRepository() throws {
        let outside = ["MODEL" + ".md", "../" + "shared/"]
        let files = try swiftFiles()
        XCTAssertGreaterThan(files.count, 50)
        for (path, text) in files {
            for name in outside { XCTAssertFalse(text.contains(name), "\(path) cites \(name)") }
        }
    }

    /// A section cited in a comment ("docs/physics.md §0" and the name in
    /// quotes) is in §0.
    func testCitedSectionsExist() throws {
        let headings = try contractSection().split(separator: "\n").filter { $0.hasPrefix("### 0.") }.joined(separator: "\n")
        let citation = try NSRegularExpression(pattern: "docs/physics\\.md §0,? \"([^\"]+)\"")
        var cited = 0
        let continuation = try NSRegularExpression(pattern: "\\s*\n\\s*//+\\s*")
        for (path, source) in try swiftFiles() {
            // A citation may wrap onto the next comment line.
            let text = continuation.stringByReplacingMatches(
                in: source, range: NSRange(source.startIndex..., in: source), withTemplate: " ")
            let range = NSRange(text.startIndex..., in: text)
            for match in citation.matches(in: text, range: range) {
                guard let name = Range(match.range(at: 1), in: text).map({ String(text[$0]) }) else { continue }
                cited += 1
                // "Linear response" is a property of "Properties that must hold".
                let found = try headings.contains(name) || contractSection().contains(name)
                XCTAssertTrue(found, "\(path) cites §0 \"\(name)\"")
            }
        }
        XCTAssertGreaterThan(cited, 5)
    }
}
