import Foundation
import Kernels
import Testing
import TunebenchCore

@testable import Workloads

func write(_ text: String, name: String = "config.json") throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-wl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("Hugging Face config.json import")
struct HuggingFaceConfigTests {
    static let llama3 = """
    {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32,
     "num_key_value_heads": 8, "num_hidden_layers": 32, "vocab_size": 128256, "hidden_act": "silu"}
    """

    @Test("Llama-3-8B: grouped-query k/v, gated MLP, LM head; 32 layers collapse to 7 unique GEMMs per token count")
    func llama() throws {
        let workload = try HuggingFaceConfig.load(path: try write(Self.llama3), tokens: [1, 32])
        let unique = workload.uniqueLayers
        #expect(unique.count == 10) // per token count: q=o (4096x4096), k=v (1024x4096), gate=up, down, lm_head
        let decode = unique.filter { $0.layer.m == 1 }.map { ($0.layer.description, $0.multiplicity) }
        #expect(decode.map(\.0) == ["gemm m=1 n=4096 k=4096", "gemm m=1 n=1024 k=4096", "gemm m=1 n=14336 k=4096",
                                    "gemm m=1 n=4096 k=14336", "gemm m=1 n=128256 k=4096"])
        #expect(decode.map(\.1) == [64, 64, 64, 32, 1])
        // One decode token: 2 x (32 x (2·4096² + 2·4096·1024 + 3·4096·14336) + 4096·128256) FLOPs.
        let perToken = 2.0 * (32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 4096 * 128256)
        let decodeFLOPs = workload.instances.filter { $0.layer.m == 1 }.reduce(0.0) { $0 + $1.layer.flops * Double($1.count) }
        #expect(decodeFLOPs == perToken)
        #expect(workload.notes.contains { $0.contains("weights are random") })
        #expect(workload.unsupported.contains { $0.contains("silu") })
    }

    @Test("Qwen2 has q/k/v biases; Mistral none; GPT-2 fuses bias+GELU; BERT has no LM head")
    func families() throws {
        let qwen = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864, "num_attention_heads": 14,
             "num_key_value_heads": 2, "num_hidden_layers": 24, "vocab_size": 151936}
            """), tokens: [1])
        #expect(qwen.instances.map(\.layer.description).prefix(4) == ["gemm m=1 n=896 k=896 bias", "gemm m=1 n=128 k=896 bias",
                                                                      "gemm m=1 n=128 k=896 bias", "gemm m=1 n=896 k=896"])
        let gpt2 = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12, "n_inner": null, "vocab_size": 50257,
             "activation_function": "gelu_new"}
            """), tokens: [8])
        #expect(gpt2.instances.map(\.layer.description) == ["gemm m=8 n=2304 k=768 bias", "gemm m=8 n=768 k=768 bias",
                                                            "gemm m=8 n=3072 k=768 bias gelu", "gemm m=8 n=768 k=3072 bias",
                                                            "gemm m=8 n=50257 k=768"])
        let bert = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "bert", "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
             "num_attention_heads": 12, "vocab_size": 30522, "hidden_act": "gelu"}
            """), tokens: [128])
        // BERT's "gelu" is the exact erf form: fused as gelu_erf.
        #expect(bert.uniqueLayers.map(\.layer.description) == ["gemm m=128 n=768 k=768 bias", "gemm m=128 n=3072 k=768 bias gelu_erf",
                                                              "gemm m=128 n=768 k=3072 bias"])
        #expect(bert.uniqueLayers.map(\.multiplicity) == [48, 12, 12])
        #expect(!bert.unsupported.contains { $0.contains("activation") })
        let silu = try HuggingFaceConfig.load(path: try write("""
            {"model_type": "bert", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
             "num_attention_heads": 1, "vocab_size": 10, "hidden_act": "silu"}
            """), tokens: [4])
        #expect(silu.instances.map(\.layer.epilogue.activation).allSatisfy { $0 == .none })
        #expect(silu.unsupported.contains { $0.contains("intermediate activation silu") })
    }

    @Test("broken configs name the file and the field")
    func errors() throws {
        let missing = try write(#"{"model_type": "llama", "hidden_size": 4096}"#)
        let error = #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: missing, tokens: [1]) }
        #expect(error?.description == "\(missing): missing field \"intermediate_size\" (model_type llama)")
        let wrongType = try write(#"{"model_type": "mistral", "hidden_size": "4096", "intermediate_size": 1, "num_attention_heads": 1, "num_hidden_layers": 1, "vocab_size": 1}"#)
        let typeError = #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: wrongType, tokens: [1]) }
        #expect(typeError?.message == "field \"hidden_size\" must be a positive integer, got \"4096\"")
        let boolean = try write(#"{"model_type": "gpt2", "n_embd": true, "n_layer": 1, "vocab_size": 1}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: boolean, tokens: [1]) })?.message.contains("got true") == true)
        let gqa = try write(#"{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 1, "num_attention_heads": 32, "num_key_value_heads": 5, "num_hidden_layers": 1, "vocab_size": 1}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: gqa, tokens: [1]) })?.message.contains("num_key_value_heads") == true)
        let unknown = try write(#"{"model_type": "mamba"}"#)
        #expect((#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: unknown, tokens: [1]) })?.message.contains("not supported") == true)
        let garbage = try write("{not json")
        let message = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: garbage, tokens: [1]) })?.message ?? ""
        #expect(message.hasPrefix("is not valid JSON: ") && message.contains("at line 1, column 2"), "\(message)")
        // Where it stops, on a later line; nesting too deep for the parser is said, not a crash.
        let broken = try write("{\n  \"model_type\": \"gpt2\",\n  \"n_embd\": x\n}")
        let position = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: broken, tokens: [1]) })?.message ?? ""
        #expect(position.contains("at line 3, column 13"), "\(position)")
        let deep = try write(String(repeating: "[", count: 100_000))
        let nesting = (#expect(throws: FileError.self) { try HuggingFaceConfig.load(path: deep, tokens: [1]) })?.message ?? ""
        #expect(nesting == "nests arrays and objects 100000 deep; at most 512 levels are read", "\(nesting)")
        #expect(throws: FileError.self) { try HuggingFaceConfig.load(path: "/no/such/config.json", tokens: [1]) }
    }
}

@Suite("layer lists")
struct LayerListTests {
    @Test("gemm and conv2d entries with epilogues and counts; other ops listed as unsupported")
    func load() throws {
        let path = try write("""
            {"name": "tiny", "layers": [
              {"name": "fc1", "op": "gemm", "m": 32, "n": 512, "k": 256, "epilogue": "bias+relu", "count": 3},
              {"op": "conv2d", "shape": "1,64,56,56,64,3,3,1,1", "epilogue": "bias+relu"},
              {"name": "fc1-again", "op": "gemm", "m": 32, "n": 512, "k": 256, "epilogue": "bias+relu"},
              {"name": "pool", "op": "maxpool"}
            ]}
            """, name: "layers.json")
        let workload = try LayerList.load(path: path)
        #expect(workload.name == "tiny")
        #expect(workload.uniqueLayers.map(\.layer.description) == ["gemm m=32 n=512 k=256 bias relu",
                                                                  "conv2d n=1 c=64 h=56 w=56 k=64 r=3 s=3 stride=1 pad=1 dilation=1 bias relu"])
        #expect(workload.uniqueLayers.map(\.multiplicity) == [4, 1])
        #expect(workload.uniqueLayers[0].names == ["fc1", "fc1-again"])
        #expect(workload.uniqueLayers[1].layer.shapeArgument == "1,64,56,56,64,3,3,1,1,1")
        #expect(workload.unsupported == ["pool: op \"maxpool\" (supported: gemm, matmul, conv2d)"])
    }

    @Test("a bad entry names the file, the entry and the field")
    func errors() throws {
        let negative = try write(#"{"layers": [{"op": "gemm", "m": 1, "n": 1, "k": 1}, {"op": "gemm", "m": -4, "n": 1, "k": 1}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: negative) })?.message
            == "field \"layers[1].m\" must be a positive integer, got -4")
        let epilogue = try write(#"{"layers": [{"op": "gemm", "m": 1, "n": 1, "k": 1, "epilogue": "swish"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: epilogue) })?.message.hasPrefix("field \"layers[0].epilogue\"") == true)
        let conv = try write(#"{"layers": [{"op": "conv2d", "shape": "1,2,3"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: conv) })?.message.hasPrefix("field \"layers[0].shape\"") == true)
        let empty = try write(#"{"layers": [{"op": "softmax"}]}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: empty) })?.message == "has no gemm, matmul or conv2d layer to tune")
        let notList = try write(#"{"layers": 3}"#)
        #expect((#expect(throws: FileError.self) { try LayerList.load(path: notList) })?.message == "field \"layers\" must be a list, got 3")
    }
}
