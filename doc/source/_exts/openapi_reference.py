"""``.. openapi-reference::``: the API reference, from the OpenAPI document.

The API builds its OpenAPI document from the same declarations its
controllers validate with (``stacktach_ng.api.openapi``); rendering the
reference from it keeps the documentation as true as the API.
"""

from docutils import nodes
from docutils.parsers.rst import Directive


def _paragraph(text):
    return nodes.paragraph(text=text)


class OpenAPIReference(Directive):
    has_content = False

    def run(self):
        from stacktach_ng.api import openapi

        document = openapi.document()
        sections = []
        for path, item in document['paths'].items():
            operation = item['get']
            section = nodes.section(ids=[operation['operationId']])
            section += nodes.title(text='GET ' + path)
            section += _paragraph(operation.get('summary', ''))
            parameters = [p for p in operation.get('parameters', [])
                          if p.get('in') == 'query']
            if parameters:
                section += self._table(parameters)
            codes = ', '.join(sorted(operation.get('responses', {})))
            section += _paragraph('Responses: %s.' % codes)
            sections.append(section)
        return sections

    def _table(self, parameters):
        table = nodes.table()
        group = nodes.tgroup(cols=3)
        table += group
        for width in (20, 15, 65):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        group += head
        head += self._row(['Parameter', 'Type', 'Description'])
        body = nodes.tbody()
        group += body
        for parameter in parameters:
            schema = parameter.get('schema', {})
            kind = schema.get('format') or schema.get('type', '')
            if 'enum' in schema:
                kind = ' | '.join(str(value) for value in schema['enum'])
            elif 'x-comma-list' in schema:
                kind = 'list of ' + ' | '.join(schema['x-comma-list'])
            elif 'x-duration' in schema:
                kind = 'duration'
            body += self._row([parameter['name'], str(kind),
                               parameter.get('description', '')])
        return table

    @staticmethod
    def _row(cells):
        row = nodes.row()
        for text in cells:
            entry = nodes.entry()
            entry += _paragraph(text)
            row += entry
        return row


def setup(app):
    app.add_directive('openapi-reference', OpenAPIReference)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
