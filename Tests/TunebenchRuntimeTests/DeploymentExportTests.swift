import DeploymentExport
import Foundation
import KernelModel
import Testing
import TunebenchRuntime
import TuningDatabase

@Suite("deployment exports")
struct DeploymentExportTests {
    static func artifact() throws -> (DeploymentArtifact, folder: URL) {
        let path = try RuntimeFixture.database()
        return (try DeploymentArtifact.from(try TuningDatabase(path: path)), URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    @Test("YAML and JSON exports read back to the same artifact")
    func roundTrips() throws {
        let (artifact, folder) = try Self.artifact()
        #expect(artifact.entries.count == 4)
        for format in [DeploymentExport.Format.json, .yaml] {
            let file = folder.appendingPathComponent("deploy.\(format.rawValue)")
            try Data(try DeploymentExport.render(artifact, as: format).utf8).write(to: file)
            #expect(try DeploymentExport.load(path: file.path) == artifact, "\(format)")
        }
    }

    @Test("the C header compiles, and its lookup finds the chosen, the fp32 and a requested precision")
    func cHeader() throws {
        let (artifact, folder) = try Self.artifact()
        try Data(try DeploymentExport.render(artifact, as: .cHeader).utf8).write(to: folder.appendingPathComponent("deployment.h"))
        let id = RuntimeFixture.primary.id
        let program = """
            #include <stdio.h>
            #include "deployment.h"
            static void show(const char *layer, const char *precision) {
                const tunebench_entry *e = tunebench_lookup("\(id)", layer, precision);
                if (e) printf("%s|%s|%s|%g|%d\\n", e->kernel, e->precision, e->parameters, e->expected_seconds, e->chosen);
                else printf("none\\n");
            }
            int main(void) {
                show("gemm m=32 n=4096 k=4096", NULL);
                show("gemm m=32 n=4096 k=4096", "fp32");
                show("gemm m=1 n=4096 k=4096", NULL);
                show("gemm m=7 n=7 k=7", NULL);
                printf("%zu %s\\n", tunebench_entry_count, TUNEBENCH_KERNEL_LIBRARY_VERSION);
                return 0;
            }
            """
        try Data(program.utf8).write(to: folder.appendingPathComponent("main.c"))
        let compile = try run("/usr/bin/gcc", ["-std=c99", "-Wall", "-Werror", "-o", folder.appendingPathComponent("lookup").path,
                                                folder.appendingPathComponent("main.c").path])
        #expect(compile.status == 0, "\(compile.output)")
        let result = try run(folder.appendingPathComponent("lookup").path, [])
        #expect(result.output == """
            gemm|int8|group=32,kc=256,mc=96,mr=6,nr=16,threads=2|0.001|1
            gemm|fp32|kc=256,mc=96,mr=6,nr=16,threads=2|0.002|0
            gemv|fp32|mb=1,nb=4,prefetch=0,threads=2|0.004|0
            none
            4 \(KernelLibrary.version)

            """)
    }

    func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
