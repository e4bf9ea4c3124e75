"""Reference data the programme cannot run without: the 24 jurisdictions and the activities.

Loaded by a data migration and re-ensured after every ``migrate`` (a test database flush
empties tables), always by natural key so running it again changes nothing.
"""

# (INDEC code, ISO 3166-2:AR code, name)
PROVINCES = [
    ("02", "AR-C", "Ciudad Autónoma de Buenos Aires"),
    ("06", "AR-B", "Buenos Aires"),
    ("10", "AR-K", "Catamarca"),
    ("14", "AR-X", "Córdoba"),
    ("18", "AR-W", "Corrientes"),
    ("22", "AR-H", "Chaco"),
    ("26", "AR-U", "Chubut"),
    ("30", "AR-E", "Entre Ríos"),
    ("34", "AR-P", "Formosa"),
    ("38", "AR-Y", "Jujuy"),
    ("42", "AR-L", "La Pampa"),
    ("46", "AR-F", "La Rioja"),
    ("50", "AR-M", "Mendoza"),
    ("54", "AR-N", "Misiones"),
    ("58", "AR-Q", "Neuquén"),
    ("62", "AR-R", "Río Negro"),
    ("66", "AR-A", "Salta"),
    ("70", "AR-J", "San Juan"),
    ("74", "AR-D", "San Luis"),
    ("78", "AR-Z", "Santa Cruz"),
    ("82", "AR-S", "Santa Fe"),
    ("86", "AR-G", "Santiago del Estero"),
    ("90", "AR-T", "Tucumán"),
    ("94", "AR-V", "Tierra del Fuego, Antártida e Islas del Atlántico Sur"),
]

# (code, name)
CROPS = [
    ("cana", "Caña de azúcar"),
    ("vid", "Vid / uva"),
    ("tabaco", "Tabaco"),
    ("yerba", "Yerba mate"),
    ("te", "Té"),
    ("citricos", "Cítricos"),
    ("limon", "Limón"),
    ("pera_manzana", "Pera y manzana"),
    ("frutas", "Frutas finas"),
    ("olivo", "Olivo"),
    ("tomate", "Tomate"),
    ("ajo", "Ajo"),
    ("algodon", "Algodón"),
    ("arandano", "Arándano"),
    ("forestal", "Forestal"),
    ("horticola", "Hortícola"),
]


def ensure_reference_data(Province, Crop) -> None:  # noqa: N803 - model classes
    for indec, iso, name in PROVINCES:
        Province.objects.update_or_create(indec_code=indec, defaults={"iso_code": iso, "name": name})
    for code, name in CROPS:
        Crop.objects.get_or_create(code=code, defaults={"name": name})
