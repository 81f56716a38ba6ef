package dev.keybus.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.event.ruler.Machine;

/**
 * Reads JSON lines {"id", "pattern", "event"} (pattern and event as JSON text) from standard
 * input and writes one line {"id", "verdict", "detail"} per case, where verdict is "match",
 * "no-match", "invalid-pattern" or "invalid-event". One JVM serves every case; a machine is
 * compiled once per distinct pattern text.
 */
public final class RulerOracle {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private RulerOracle() {}

    public static void main(String[] args) throws Exception {
        Map<String, Object> machines = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode request = MAPPER.readTree(line);
            ObjectNode reply = MAPPER.createObjectNode();
            reply.set("id", request.get("id"));
            judge(machines, request.get("pattern").asText(), request.get("event").asText(), reply);
            out.println(MAPPER.writeValueAsString(reply));
            out.flush();
        }
    }

    private static void judge(Map<String, Object> machines, String pattern, String event, ObjectNode reply) {
        Object compiled = machines.computeIfAbsent(pattern, RulerOracle::compile);
        if (compiled instanceof String error) {
            reply.put("verdict", "invalid-pattern");
            reply.put("detail", error);
            return;
        }
        try {
            List<String> rules = ((Machine) compiled).rulesForJSONEvent(event);
            reply.put("verdict", rules.isEmpty() ? "no-match" : "match");
        } catch (Exception e) {
            reply.put("verdict", "invalid-event");
            reply.put("detail", String.valueOf(e.getMessage()));
        }
    }

    private static Object compile(String pattern) {
        try {
            Machine machine = new Machine();
            machine.addRule("rule", pattern);
            return machine;
        } catch (Exception | Error e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
