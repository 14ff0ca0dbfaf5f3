// The served model (edm-model.ts) as an OData CSDL XML document, the form Graph's `$metadata` takes.
import { ALIAS, CONTAINER, NAMESPACE, TODO_SCHEMA, type EdmProperty, type EdmSchemaElement } from "./edm-model.js";

const attr = (name: string, value: string | undefined) => (value === undefined ? "" : ` ${name}="${value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;")}"`);

const property = (m: EdmProperty, tag = "Property") => `<${tag}${attr("Name", m.name)}${attr("Type", m.type)}${m.nullable === false ? attr("Nullable", "false") : ""} />`;

function element(e: EdmSchemaElement): string[] {
  switch (e.kind) {
    case "enum":
      return [`<EnumType${attr("Name", e.name)}>`, ...e.members.map((m, i) => `  <Member${attr("Name", m)}${attr("Value", String(i))} />`), "</EnumType>"];
    case "complex":
      return [`<ComplexType${attr("Name", e.name)}>`, ...e.properties.map((m) => `  ${property(m)}`), "</ComplexType>"];
    case "entity": {
      const head =
        `<EntityType${attr("Name", e.name)}${attr("BaseType", e.base)}${e.abstract ? attr("Abstract", "true") : ""}` +
        `${e.open ? attr("OpenType", "true") : ""}${e.hasStream ? attr("HasStream", "true") : ""}>`;
      const key = e.base ? [] : ["  <Key>", `    <PropertyRef${attr("Name", "id")} />`, "  </Key>"];
      const navs = (e.navigations ?? []).map((n) => `  <NavigationProperty${attr("Name", n.name)}${attr("Type", n.type)}${attr("ContainsTarget", "true")} />`);
      return [head, ...key, ...e.properties.map((m) => `  ${property(m)}`), ...navs, "</EntityType>"];
    }
    case "function":
    case "action": {
      const tag = e.kind === "function" ? "Function" : "Action";
      return [
        `<${tag}${attr("Name", e.name)}${attr("IsBound", "true")}>`,
        `  <Parameter${attr("Name", "bindingParameter")}${attr("Type", e.boundTo)} />`,
        ...e.parameters.map((m) => `  ${property(m, "Parameter")}`),
        `  <ReturnType${attr("Type", e.returns)} />`,
        `</${tag}>`,
      ];
    }
  }
}

/** The whole `$metadata` document. */
export function csdlDocument(): string {
  const indent = (lines: string[], by: number) => lines.map((l) => " ".repeat(by) + l);
  const container = [
    `<EntityContainer${attr("Name", CONTAINER.name)}>`,
    ...CONTAINER.entitySets.map((s) => `  <EntitySet${attr("Name", s.name)}${attr("EntityType", s.type)} />`),
    ...CONTAINER.singletons.map((s) => `  <Singleton${attr("Name", s.name)}${attr("Type", s.type)} />`),
    "</EntityContainer>",
  ];
  return [
    `<?xml version="1.0" encoding="utf-8"?>`,
    `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">`,
    "  <edmx:DataServices>",
    `    <Schema${attr("Namespace", NAMESPACE)}${attr("Alias", ALIAS)} xmlns="http://docs.oasis-open.org/odata/ns/edm">`,
    ...indent(TODO_SCHEMA.flatMap(element), 6),
    ...indent(container, 6),
    "    </Schema>",
    "  </edmx:DataServices>",
    "</edmx:Edmx>",
    "",
  ].join("\n");
}
