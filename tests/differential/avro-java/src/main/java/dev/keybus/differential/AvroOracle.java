package dev.keybus.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Answers one JSON request per input line with one JSON response per output line.
 *
 * <p>{"id": 1, "op": "parse", "schema": TEXT, "references": [TEXT...]} returns whether Avro
 * Java parses the schema and its Schema.toString form. {"id": 2, "op": "compat", "reader":
 * TEXT, "writer": TEXT, "references": [TEXT...]} returns SchemaCompatibility's verdict for
 * the reader reading data written with the writer. "validate_defaults": false turns off
 * default validation in the parser.
 */
public final class AvroOracle {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AvroOracle() {}

  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode request = MAPPER.readTree(line);
      ObjectNode response = MAPPER.createObjectNode();
      response.set("id", request.get("id"));
      try {
        if ("parse".equals(request.path("op").asText())) {
          answerParse(request, response);
        } else {
          answerCompat(request, response);
        }
      } catch (RuntimeException e) {
        response.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      out.write(MAPPER.writeValueAsString(response));
      out.newLine();
      out.flush();
    }
  }

  private static Schema.Parser newParser(JsonNode request) {
    Schema.Parser parser = new Schema.Parser();
    parser.setValidateDefaults(request.path("validate_defaults").asBoolean(true));
    return parser;
  }

  private static List<Schema> parseReferences(Schema.Parser parser, JsonNode request) {
    List<Schema> references = new ArrayList<>();
    for (JsonNode text : request.path("references")) {
      references.add(parser.parse(text.asText()));
    }
    return references;
  }

  private static void answerParse(JsonNode request, ObjectNode response) {
    Schema.Parser parser = newParser(request);
    List<Schema> references = parseReferences(parser, request);
    Schema schema = parser.parse(request.get("schema").asText());
    response.put("valid", true);
    response.put("canonical", schema.toString(references, false));
  }

  private static void answerCompat(JsonNode request, ObjectNode response) {
    Schema.Parser readerParser = newParser(request);
    parseReferences(readerParser, request);
    Schema reader = readerParser.parse(request.get("reader").asText());
    Schema.Parser writerParser = newParser(request);
    parseReferences(writerParser, request);
    Schema writer = writerParser.parse(request.get("writer").asText());
    SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    response.put(
        "compatible", result.getType() == SchemaCompatibilityType.COMPATIBLE);
    ArrayNode problems = response.putArray("incompatibilities");
    Iterator<Incompatibility> iterator =
        result.getResult().getIncompatibilities().iterator();
    while (iterator.hasNext()) {
      Incompatibility incompatibility = iterator.next();
      problems.add(
          incompatibility.getType()
              + " at "
              + incompatibility.getLocation()
              + ": "
              + incompatibility.getMessage());
    }
  }
}
